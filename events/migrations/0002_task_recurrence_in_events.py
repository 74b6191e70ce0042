"""The task's recurrence and reminder fields in its events' JSON: the triggers again."""

from django.db import migrations

from events import outbox_sql


def install_triggers(apps, schema_editor):
    outbox_sql.install(schema_editor)


class Migration(migrations.Migration):

    # The triggers read the task table's new columns.
    dependencies = [("events", "0001_outbox_and_webhooks"), ("tasks", "0005_recurrence_and_reminders")]

    operations = [migrations.RunPython(install_triggers, migrations.RunPython.noop)]
