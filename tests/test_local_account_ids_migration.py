"""Migration 0004: rows owned by a Django account's bare pk move to `local:<pk>`, and back."""

import importlib
import uuid

import pytest
from django.apps import apps

from tasks.data.staff import load_tasks
from tasks.models import IdempotencyRecord, Tag, Task, TaskTombstone

pytestmark = pytest.mark.django_db

migration = importlib.import_module("tasks.migrations.0004_local_account_ids")
OWNED = (Task, Tag, TaskTombstone, IdempotencyRecord)
CAROL_ID = "idp|carol-7f3a"
NOBODYS_PK = "987654321"  # numeric, but no Django account has it: an external subject


def plant_rows(user_id: str, *, tasks: int = 1) -> None:
    """A tagged task (or several), a tag, a tombstone and an idempotency record, as stored
    before the migration (written straight to the table, as the old code did)."""
    tag = Tag.objects.create(user_id=user_id, name="work")
    for number in range(tasks):
        [task] = load_tasks([Task(user_id=user_id, title=f"{user_id} #{number}")])
        task.tags.add(tag)
    TaskTombstone.objects.create(task_id=uuid.uuid4(), user_id=user_id, change_seq=1)
    IdempotencyRecord.objects.create(user_id=user_id, key="k", fingerprint="f")


def owners() -> dict[str, set[str]]:
    return {model.__name__: set(model.objects.values_list("user_id", flat=True)) for model in OWNED}


def test_rows_of_django_accounts_move_to_local_ids_and_others_stay(alice, bob):
    for user_id in (str(alice.pk), str(bob.pk), CAROL_ID, NOBODYS_PK, f"x{alice.pk}"):
        plant_rows(user_id)

    migration.to_local_ids(apps, None)

    expected = {f"local:{alice.pk}", f"local:{bob.pk}", CAROL_ID, NOBODYS_PK, f"x{alice.pk}"}
    assert owners() == {model.__name__: expected for model in OWNED}
    moved = Task.objects.get(user_id=f"local:{alice.pk}")
    assert list(moved.tags.values_list("user_id", "name")) == [(f"local:{alice.pk}", "work")]


def test_moved_tasks_are_stamped_again_so_sync_and_etags_see_the_new_owner_id(alice):
    plant_rows(str(alice.pk))
    plant_rows(CAROL_ID)
    # As written by earlier transactions (here all run in one, which shares a stamp).
    Task._base_manager.update(change_seq=1)
    before = dict(Task.objects.values_list("title", "change_seq"))

    migration.to_local_ids(apps, None)

    after = dict(Task.objects.values_list("title", "change_seq"))
    assert after[f"{alice.pk} #0"] > before[f"{alice.pk} #0"]
    assert after[f"{CAROL_ID} #0"] == before[f"{CAROL_ID} #0"]


def test_going_back_restores_the_bare_pks(alice):
    plant_rows(str(alice.pk))
    plant_rows(CAROL_ID)
    before = owners()

    migration.to_local_ids(apps, None)
    migration.to_bare_pks(apps, None)

    assert owners() == before


def test_a_table_of_any_size_moves_in_one_statement_per_table(alice, django_assert_num_queries):
    plant_rows(str(alice.pk), tasks=50)

    # One UPDATE for each of the four tables, and one to take the new change stamp.
    with django_assert_num_queries(5):
        migration.to_local_ids(apps, None)

    assert Task.objects.filter(user_id=f"local:{alice.pk}").count() == 50
