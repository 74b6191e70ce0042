from django.apps import AppConfig


class EventsConfig(AppConfig):
    """Task events: the outbox, the live stream, webhooks and the worker's jobs."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "events"
