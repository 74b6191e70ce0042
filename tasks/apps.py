from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = "Tasks"

    def ready(self) -> None:
        # Registers the OpenAPI description of the bearer-token scheme.
        from tasks import schema  # noqa: F401
        from tasks.postgres import connect_signal

        connect_signal()

        from tasks import statement_timeout

        statement_timeout.connect_signals(self)

        from tasks import login_lockout

        login_lockout.connect_signals()
