from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


class EventsConfig(AppConfig):
    """Task events: the outbox, the live stream, webhooks and the worker's jobs."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "events"

    def ready(self) -> None:
        post_migrate.connect(_reinstall_triggers, sender=self)


def _reinstall_triggers(sender, using: str, plan=None, **kwargs) -> None:
    """After every migrate: the outbox's triggers are there, whatever a migration of
    the task table did to them (see events.outbox_sql)."""
    from events import outbox_sql

    connection = connections[using]
    tables = connection.introspection.table_names()
    if "events_event" not in tables or "tasks_task" not in tables:
        return
    with connection.schema_editor() as editor:
        outbox_sql.install(editor)
