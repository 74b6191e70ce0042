# The worker's mark of a fired reminder, and the index it finds due reminders by
# (tasks.data.reminders). `remind_at` itself comes with 0005.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("tasks", "0005_recurrence_and_reminders"),
    ]

    operations = [
        migrations.AddField(
            model_name="task",
            name="reminded_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(
                condition=models.Q(
                    ("completed", False),
                    ("remind_at__isnull", False),
                    models.Q(
                        ("reminded_at__isnull", True),
                        ("reminded_at__lt", models.F("remind_at")),
                        ("reminded_at__gt", models.F("remind_at")),
                        _connector="OR",
                    ),
                ),
                fields=["remind_at"],
                name="task_reminder_pending",
            ),
        ),
    ]
