from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = "Tasks"

    def ready(self) -> None:
        # Registers the OpenAPI description of the bearer-token scheme.
        from tasks.api import schema  # noqa: F401
        from tasks.data.utc_timestamps import connect_signal

        connect_signal()

        from tasks.data import statement_timeout

        statement_timeout.connect_signals(self)

        from tasks.identity import login_lockout

        login_lockout.connect_signals()
