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

        from django.db.models.signals import pre_save

        from tasks.data.staff import stamp_loaded_task
        from tasks.models import Task

        pre_save.connect(stamp_loaded_task, sender=Task, dispatch_uid="tasks.stamp_loaded_task")

        from tasks.identity import login_lockout, sign_in_turns

        login_lockout.connect_signals()
        sign_in_turns.connect_signals()
