"""Django accounts' rows move from `<pk>` to `local:<pk>`, the namespace no external
token may claim (tasks/identity/principal.py), so an identity provider's subject "1" no longer
reaches account 1's tasks.

One UPDATE per table, whatever its size, on SQLite and PostgreSQL alike. A row whose
owner equals a Django user's pk was reachable by that account before, so it is that
account's now. (An external subject equal to a pk shared those rows with the account;
they cannot be told apart, and the account, which the deployer controls, keeps them.)
A stored Idempotency-Key response keeps the `user_id` it was first sent with; such a
record lives 24 hours, and a retry still creates nothing.
"""

from django.conf import settings
from django.db import migrations, models
from django.db.models.functions import Cast, Concat, Substr

from tasks.data.change_clock import next_change_seq

# Written out rather than imported, so that this migration means the same thing
# whatever tasks/identity/principal.py says later.
LOCAL_PREFIX = "local:"
OWNED_MODELS = ("Task", "Tag", "TaskTombstone", "IdempotencyRecord")
OWNER_ID = models.CharField(max_length=255)


def account_ids(apps, *, prefix: str):
    """Every Django account's owner id in one form: `<pk>` (prefix "") or `local:<pk>`."""
    User = apps.get_model(settings.AUTH_USER_MODEL)
    owner_id = Concat(models.Value(prefix), Cast("pk", OWNER_ID), output_field=OWNER_ID)
    return User._base_manager.annotate(owner_id=owner_id).values("owner_id")


def move_rows(apps, *, from_prefix: str, to_prefix: str) -> None:
    for name in OWNED_MODELS:
        model = apps.get_model("tasks", name)
        pk = Substr("user_id", len(from_prefix) + 1) if from_prefix else models.F("user_id")
        changes = {"user_id": Concat(models.Value(to_prefix), pk, output_field=OWNER_ID)}
        if name == "Task":
            # The `user_id` in each moved task's representation changes, so its ETag must
            # too, and a client syncing from before the move must receive it again.
            changes["change_seq"] = next_change_seq()
        # The historical model's plain manager: one UPDATE, no per-row work.
        model._base_manager.filter(user_id__in=account_ids(apps, prefix=from_prefix)).update(**changes)


def to_local_ids(apps, schema_editor) -> None:
    move_rows(apps, from_prefix="", to_prefix=LOCAL_PREFIX)


def to_bare_pks(apps, schema_editor) -> None:
    move_rows(apps, from_prefix=LOCAL_PREFIX, to_prefix="")


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0003_task_tag_names"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(to_local_ids, to_bare_pks)]
