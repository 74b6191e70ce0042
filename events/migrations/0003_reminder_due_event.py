"""The task.reminder_due event type, and the triggers again: they read the task's
`reminded_at` (tasks 0006), set by the worker when a reminder fires."""

from django.db import migrations, models

from events import outbox_sql


def install_triggers(apps, schema_editor):
    outbox_sql.install(schema_editor)


class Migration(migrations.Migration):

    dependencies = [("events", "0002_task_recurrence_in_events"), ("tasks", "0006_task_reminded_at")]

    operations = [
        migrations.AlterField(
            model_name="event",
            name="type",
            field=models.CharField(
                choices=[
                    ("task.created", "Created"),
                    ("task.updated", "Updated"),
                    ("task.completed", "Completed"),
                    ("task.reopened", "Reopened"),
                    ("task.deleted", "Deleted"),
                    ("task.reminder_due", "Reminder Due"),
                ],
                max_length=32,
            ),
        ),
        migrations.RunPython(install_triggers, migrations.RunPython.noop),
    ]
