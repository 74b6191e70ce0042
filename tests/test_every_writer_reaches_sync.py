"""Every way a task is written (REST, MCP, the shell through the store, the admin's
forms and actions, fixtures) keeps the change stamp, tombstones and the tag copy:
a client's incremental sync sees each change and each deletion."""

from __future__ import annotations

import json
from http import HTTPStatus

import pytest
from django.core.management import call_command

from tasks.data import staff
from tasks.data.store import TaskStore
from tasks.identity.principal import principal_id
from tasks.models import Tag, Task
from tests.conftest import tasks_url
from tests.test_mcp_tools import ok
from tests.test_sync import Replica, create

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

CHANGELIST = "/admin/tasks/task/"


@pytest.fixture
def replica(alice_client) -> Replica:
    replica = Replica(alice_client)
    replica.sync()
    return replica


@pytest.fixture
def admin_client(client, django_user_model):
    staff_user = django_user_model.objects.create_superuser(username="staff", password="staff-pass-123!")
    client.force_login(staff_user)
    return client


def admin_form(task: dict, **changes) -> dict:
    tags = list(
        Tag.objects.filter(name__in=task["tags"], user_id=task["user_id"]).values_list("pk", flat=True)
    )
    form = {
        "user_id": task["user_id"],
        "title": task["title"],
        "description": task["description"] or "",
        "priority": "0",
        "tags": tags,
        "due_at_0": "",
        "due_at_1": "",
    }
    if task["completed"]:
        form["completed"] = "on"
    return {**form, **changes}


def test_rest_writes(alice_client, replica):
    task = create(alice_client, title="REST")
    replica.expect(changed=[task["id"]])

    alice_client.put(tasks_url("me", task["id"]), {"title": "REST, renamed", "tags": ["a"]}, format="json")
    replica.expect(changed=[task["id"]])
    assert replica.tasks[task["id"]]["tags"] == ["a"]

    alice_client.delete(tasks_url("me", task["id"]))
    replica.expect(deleted=[task["id"]])


def test_mcp_writes(alice_client, replica):
    added = ok(alice_client, "add_task", title="MCP", tags=["x"])
    replica.expect(changed=[added["task_id"]])

    ok(alice_client, "update_task", task_id=added["task_id"], tags=["y"])
    ok(alice_client, "complete_task", task_id=added["task_id"])
    replica.expect(changed=[added["task_id"]])
    assert replica.tasks[added["task_id"]]["tags"] == ["y"]
    assert replica.tasks[added["task_id"]]["completed"] is True

    ok(alice_client, "delete_task", task_id=added["task_id"])
    replica.expect(deleted=[added["task_id"]])


def test_shell_writes_through_the_store(alice, replica):
    store = TaskStore(principal_id(alice))
    task = store.create(title="Shell", tag_names=["s"])
    replica.expect(changed=[task.pk])

    store.update(task.pk, title="Shell, renamed")
    replica.expect(changed=[task.pk])

    store.clear_completed()  # nothing completed: nothing gone
    store.set_completion(task.pk, True)
    replica.expect(changed=[task.pk])
    assert store.clear_completed() == 1
    replica.expect(deleted=[task.pk])
    replica.assert_matches_server()


def test_admin_forms_write_through_the_data_layer(alice, alice_client, admin_client, replica):
    task = create(alice_client, title="Admin", tags=["home"])
    replica.expect(changed=[task["id"]])

    response = admin_client.post(f"{CHANGELIST}{task['id']}/change/", admin_form(task, title="Admin, edited"))
    assert response.status_code == HTTPStatus.FOUND, response.content[:2000]
    replica.expect(changed=[task["id"]])
    assert replica.tasks[task["id"]]["title"] == "Admin, edited"
    assert replica.tasks[task["id"]]["tags"] == ["home"]

    new = {"user_id": principal_id(alice), "title": "Added by staff", "description": None}
    response = admin_client.post(
        f"{CHANGELIST}add/", admin_form({**new, "tags": ["home"], "completed": True})
    )
    assert response.status_code == HTTPStatus.FOUND, response.content[:2000]
    added = Task.objects.get(title="Added by staff")
    replica.expect(changed=[added.pk])
    assert replica.tasks[str(added.pk)]["completed"] is True
    assert replica.tasks[str(added.pk)]["tags"] == ["home"]

    response = admin_client.post(f"{CHANGELIST}{task['id']}/delete/", {"post": "yes"})
    assert response.status_code == HTTPStatus.FOUND
    replica.expect(deleted=[task["id"]])
    replica.assert_matches_server()


def test_admin_actions_write_through_the_data_layer(alice_client, admin_client, replica):
    tasks = [create(alice_client, title=f"Bulk {n}") for n in range(3)]
    replica.sync()
    chosen = [task["id"] for task in tasks[:2]]

    admin_client.post(CHANGELIST, {"action": "mark_completed", "_selected_action": chosen})
    replica.expect(changed=chosen)
    admin_client.post(CHANGELIST, {"action": "mark_open", "_selected_action": chosen})
    replica.expect(changed=chosen)
    admin_client.post(CHANGELIST, {"action": "delete_selected", "_selected_action": chosen, "post": "yes"})
    replica.expect(deleted=chosen)
    replica.assert_matches_server()


def test_admin_tag_edits_reach_their_tasks(alice_client, admin_client, replica):
    task = create(alice_client, title="Tagged", tags=["errands", "home"])
    replica.sync()
    errands = Tag.objects.get(name="errands")

    admin_client.post(
        f"/admin/tasks/tag/{errands.pk}/change/", {"name": "chores", "user_id": errands.user_id}
    )
    replica.expect(changed=[task["id"]])
    assert replica.tasks[task["id"]]["tags"] == ["chores", "home"]

    admin_client.post(f"/admin/tasks/tag/{errands.pk}/delete/", {"post": "yes"})
    replica.expect(changed=[task["id"]])
    assert replica.tasks[task["id"]]["tags"] == ["home"]
    replica.assert_matches_server()


def test_fixtures_and_seeded_rows(alice, replica, tmp_path):
    owner = principal_id(alice)
    [seeded] = staff.load_tasks([Task(user_id=owner, title="Seeded")])
    replica.expect(changed=[seeded.pk])

    fixture = tmp_path / "tasks.json"
    loaded_id = "0b7c55b2-6b1c-4a53-9d1e-7d0f8f9c0001"
    # change_seq 0, as a fixture written by hand (or dumped long ago) carries it.
    row = {"user_id": owner, "title": "From a fixture", "change_seq": 0, "tag_names": []}
    fixture.write_text(json.dumps([{"model": "tasks.task", "pk": loaded_id, "fields": row}]))
    call_command("loaddata", str(fixture), verbosity=0)

    replica.expect(changed=[loaded_id])
    replica.assert_matches_server()
