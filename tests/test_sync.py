"""Incremental sync: `GET /api/{user_id}/tasks/sync[?since=token]` sends what changed since the
client's last sync, deletions included, and nothing of anyone else's."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core import signing
from django.db import connection

from tasks.data import staff
from tasks.data.store import TaskStore
from tasks.data.sync import TOKEN_SALT
from tasks.identity.principal import principal_id
from tasks.models import Priority, Tag, Task, WriteOutsideTheStore
from tests.conftest import tasks_url

# Each request commits on its own, as in production: the sync clock orders committed
# transactions, so writes must not share one long test transaction.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# The contract lets a change arrive twice but never go missing. On SQLite writers take
# turns and the clock is exact, so nothing is ever re-sent; on PostgreSQL a transaction
# still open anywhere on the server (another test run, say) makes the next sync re-send
# what the client already has, which is allowed.
EXACT_CLOCK = connection.vendor == "sqlite"


def sync_url(user_id="me") -> str:
    return tasks_url(user_id, suffix="/sync")


class Replica:
    """A client's local copy, kept up to date the way the API says: upsert `changed`,
    then drop `deleted`."""

    def __init__(self, client, user_id="me") -> None:
        self.client = client
        self.url = sync_url(user_id)
        self.tasks: dict[str, dict] = {}
        self.gone: set[str] = set()
        self.token: str | None = None

    def sync(self) -> dict:
        params = {} if self.token is None else {"since": self.token}
        response = self.client.get(self.url, params)
        assert response.status_code == HTTPStatus.OK, response.content
        body = response.json()
        assert set(body) == {"changed", "deleted", "next"}
        for task in body["changed"]:
            assert task["id"] not in self.gone, f"deleted task {task['id']} came back"
            self.tasks[task["id"]] = task
        for task_id in body["deleted"]:
            self.tasks.pop(task_id, None)
            self.gone.add(task_id)
        self.token = body["next"]
        return body

    def expect(self, *, changed=(), deleted=()) -> dict:
        """Sync, and check that exactly these ids changed and were deleted (give or take
        re-sends of what the client already had, where the clock allows them)."""
        before, gone_before = dict(self.tasks), set(self.gone)
        body = self.sync()
        got_changed = {task["id"] for task in body["changed"]}
        got_deleted = set(body["deleted"])
        changed, deleted = {str(i) for i in changed}, {str(i) for i in deleted}

        assert got_changed >= changed, f"missed changes: {changed - got_changed}"
        assert got_deleted >= deleted, f"missed deletions: {deleted - got_deleted}"
        for task in body["changed"]:
            if task["id"] not in changed:
                assert before.get(task["id"]) == task, f"unexpected change of {task['id']}"
        assert got_deleted - deleted <= gone_before, "unexpected deletion"
        if EXACT_CLOCK:
            assert (got_changed, got_deleted) == (changed, deleted)
        return body

    def assert_matches_server(self) -> None:
        listed = self.client.get(tasks_url(), {"limit": 1000})
        assert listed.status_code == HTTPStatus.OK
        assert self.tasks == {task["id"]: task for task in listed.json()}


def create(client, **fields) -> dict:
    response = client.post(tasks_url(), {"title": "A task", **fields}, format="json")
    assert response.status_code == HTTPStatus.CREATED, response.content
    return response.json()


@pytest.fixture
def replica(alice_client) -> Replica:
    return Replica(alice_client)


def test_a_full_sync_without_since_returns_every_task_and_a_token(alice_client, replica):
    tasks = [
        create(alice_client, title="Plain"),
        create(alice_client, title="Tagged", tags=["home", "urgent"], priority="high"),
        create(alice_client, title="Done", completed=True),
    ]
    gone = create(alice_client, title="Deleted before the first sync")
    alice_client.delete(tasks_url("me", gone["id"]))

    body = replica.sync()

    assert {task["id"] for task in body["changed"]} == {task["id"] for task in tasks}
    assert body["deleted"] == []
    assert isinstance(body["next"], str) and body["next"]
    # Each task looks exactly as the task endpoint shows it.
    for task in body["changed"]:
        assert task == alice_client.get(tasks_url("me", task["id"])).json()
    replica.assert_matches_server()


def test_an_empty_account_syncs_to_nothing_and_a_usable_token(alice_client, replica):
    assert replica.sync()["changed"] == []

    created = create(alice_client)

    replica.expect(changed=[created["id"]])


def test_after_create_update_complete_and_delete_the_next_sync_has_exactly_those(alice_client, replica):
    untouched = create(alice_client, title="Untouched")
    to_update = create(alice_client, title="To update")
    to_complete = create(alice_client, title="To complete")
    to_delete = create(alice_client, title="To delete")
    replica.sync()

    created = create(alice_client, title="Created", tags=["new"])
    alice_client.put(tasks_url("me", to_update["id"]), {"title": "Updated", "tags": ["x"]}, format="json")
    alice_client.patch(tasks_url("me", to_complete["id"], "/complete"))
    alice_client.delete(tasks_url("me", to_delete["id"]))

    body = replica.expect(
        changed=[created["id"], to_update["id"], to_complete["id"]], deleted=[to_delete["id"]]
    )

    by_id = {task["id"]: task for task in body["changed"]}
    assert by_id[to_update["id"]]["title"] == "Updated"
    assert by_id[to_update["id"]]["tags"] == ["x"]
    assert by_id[to_complete["id"]]["completed"] is True
    assert by_id[created["id"]]["tags"] == ["new"]
    assert untouched["id"] in replica.tasks
    assert to_delete["id"] not in replica.tasks
    replica.assert_matches_server()


def test_a_sync_with_nothing_new_is_empty(alice_client, replica):
    create(alice_client)
    replica.sync()

    replica.expect()
    replica.expect()


def test_each_kind_of_change_shows_up_in_the_next_sync(alice_client, replica):
    task = create(alice_client, title="Changing")
    url = tasks_url("me", task["id"])
    replica.sync()
    writes = [
        lambda: alice_client.patch(url, {"priority": "medium"}, format="json"),
        lambda: alice_client.patch(url, {"tags": ["a", "b"]}, format="json"),
        lambda: alice_client.patch(url, {"due_at": "2031-01-01T09:00:00+02:00"}, format="json"),
        lambda: alice_client.patch(url + "/complete", {"completed": True}, format="json"),
        lambda: alice_client.patch(url + "/complete", {"completed": False}, format="json"),
        lambda: alice_client.put(url, {"description": "Now with details"}, format="json"),
    ]

    for write in writes:
        assert write().status_code == HTTPStatus.OK
        replica.expect(changed=[task["id"]])
        replica.assert_matches_server()


def test_a_deleted_task_never_comes_back_in_changed(alice_client, replica):
    task = create(alice_client, title="Doomed")
    replica.sync()
    alice_client.patch(tasks_url("me", task["id"]), {"title": "Edited, then deleted"}, format="json")
    alice_client.delete(tasks_url("me", task["id"]))

    replica.expect(deleted=[task["id"]])
    for _ in range(2):
        assert task["id"] not in {t["id"] for t in replica.sync()["changed"]}
    assert task["id"] not in {t["id"] for t in Replica(alice_client).sync()["changed"]}


def test_a_task_created_and_deleted_between_syncs_is_only_reported_deleted(alice_client, replica):
    replica.sync()
    task = create(alice_client, title="Short-lived")
    alice_client.delete(tasks_url("me", task["id"]))

    replica.expect(deleted=[task["id"]])
    assert replica.tasks == {}


def test_clear_completed_reports_each_cleared_task_as_deleted(alice_client, replica):
    done = [create(alice_client, title=f"Done {n}", completed=True) for n in range(3)]
    kept = create(alice_client, title="Open")
    replica.sync()

    assert alice_client.post(tasks_url("me", suffix="/clear-completed")).json() == {"deleted": 3}

    replica.expect(deleted=[task["id"] for task in done])
    assert set(replica.tasks) == {kept["id"]}


def test_a_token_can_be_used_again_so_a_lost_response_loses_nothing(alice_client, replica):
    replica.sync()
    created = create(alice_client)
    lost = replica.token

    retries = [alice_client.get(sync_url(), {"since": lost}).json() for _ in range(2)]

    for body in retries:
        assert created["id"] in {task["id"] for task in body["changed"]}
        if EXACT_CLOCK:
            assert [task["id"] for task in body["changed"]] == [created["id"]]


def test_another_users_sync_never_shows_alices_tasks_or_deletions(alice_client, bob_client, bob):
    alices = Replica(alice_client)
    bobs = Replica(bob_client)
    alices.sync()
    bobs.sync()
    bobs_task = create(bob_client, title="Bob's")

    kept = create(alice_client, title="Alice's")
    gone = create(alice_client, title="Alice's, deleted")
    alice_client.delete(tasks_url("me", gone["id"]))
    alices.sync()

    delta = bobs.expect(changed=[bobs_task["id"]])
    full = Replica(bob_client).sync()
    # Even with alice's token, bob gets only his own tasks: a token is a point in time.
    with_alices_token = bob_client.get(sync_url(), {"since": alices.token}).json()

    alice_ids = {kept["id"], gone["id"]}
    for body in (delta, full, with_alices_token):
        assert {task["user_id"] for task in body["changed"]} <= {principal_id(bob)}
        assert not alice_ids & {task["id"] for task in body["changed"]}
        assert not alice_ids & set(body["deleted"])
    assert [task["id"] for task in full["changed"]] == [bobs_task["id"]]


def test_syncing_someone_elses_path_is_403_and_anonymous_is_401(alice, bob_client, anon_client):
    assert bob_client.get(sync_url(principal_id(alice))).status_code == HTTPStatus.FORBIDDEN
    response = anon_client.get(sync_url(principal_id(alice)))
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.headers["WWW-Authenticate"]


def tampered(token: str) -> str:
    return token[:-1] + ("A" if token[-1] != "A" else "B")


@pytest.mark.parametrize(
    "since",
    [
        "not-a-token",
        "12345",
        "TAMPER",
        signing.dumps("not a number", salt=TOKEN_SALT),
        signing.dumps({"value": 1}, salt=TOKEN_SALT),
        signing.dumps(1, salt="some.other.purpose"),
        "\x00",
        "x" * 5000,
    ],
    ids=["garbage", "bare-number", "tampered", "signed-string", "signed-object", "other-salt", "nul", "huge"],
)
def test_a_tampered_or_malformed_token_is_400_naming_since(alice_client, replica, since):
    replica.sync()
    if since == "TAMPER":
        since = tampered(replica.token)

    response = alice_client.get(sync_url(), {"since": since})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.json()
    assert "since" in body["detail"]
    assert "since" in body["errors"]


def test_a_token_signed_with_another_secret_is_400(alice_client):
    foreign = signing.dumps(1, key="another-deployments-secret-key-0123456789", salt=TOKEN_SALT)

    response = alice_client.get(sync_url(), {"since": foreign})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "since" in response.json()["errors"]


def test_the_shell_writes_through_the_store_and_sync_sees_it(alice, alice_client, replica):
    tasks = [create(alice_client, title=f"Shell {n}") for n in range(3)]
    replica.sync()
    store = TaskStore(principal_id(alice))

    for task in tasks[:2]:
        store.update(task["id"], priority=Priority.HIGH)
    store.delete(tasks[2]["id"])

    replica.expect(changed=[tasks[0]["id"], tasks[1]["id"]], deleted=[tasks[2]["id"]])
    assert {replica.tasks[tasks[0]["id"]]["priority"], replica.tasks[tasks[1]["id"]]["priority"]} == {"high"}
    replica.assert_matches_server()


@pytest.mark.parametrize(
    "write",
    [
        lambda: Task.objects.all().update(priority=3),
        lambda: Task.objects.all().delete(),
        lambda: Task.objects.create(user_id="x", title="t"),
        lambda: Task.objects.bulk_create([Task(user_id="x", title="t")]),
        lambda: Task.objects.first().save(),
        lambda: Task.objects.first().delete(),
        lambda: Tag.objects.all().delete(),
        lambda: Tag.objects.first().save(),
    ],
)
def test_a_write_past_the_store_is_refused_with_a_pointer_to_it(alice_client, write):
    create(alice_client, title="Untouched", tags=["home"])

    with pytest.raises(WriteOutsideTheStore, match="tasks.data.store.TaskStore"):
        write()


@pytest.fixture
def admin_client(client, django_user_model):
    staff = django_user_model.objects.create_superuser(username="staff", password="staff-pass-123!")
    client.force_login(staff)
    return client


ADMIN_CHANGELIST = "/admin/tasks/task/"


def test_admin_bulk_complete_and_reopen_show_up_in_sync(alice_client, admin_client, replica):
    first, second, third = (create(alice_client, title=f"Admin {n}") for n in range(3))
    replica.sync()

    response = admin_client.post(
        ADMIN_CHANGELIST, {"action": "mark_completed", "_selected_action": [first["id"], second["id"]]}
    )
    assert response.status_code == HTTPStatus.FOUND

    replica.expect(changed=[first["id"], second["id"]])
    assert replica.tasks[first["id"]]["completed"] is True
    assert replica.tasks[third["id"]]["completed"] is False

    admin_client.post(ADMIN_CHANGELIST, {"action": "mark_open", "_selected_action": [first["id"]]})

    replica.expect(changed=[first["id"]])
    assert replica.tasks[first["id"]]["completed"] is False
    replica.assert_matches_server()


def test_admin_bulk_delete_shows_up_in_sync_as_deletions(alice_client, admin_client, replica):
    doomed = [create(alice_client, title=f"Admin doomed {n}") for n in range(2)]
    kept = create(alice_client, title="Admin kept")
    replica.sync()

    response = admin_client.post(
        ADMIN_CHANGELIST,
        {"action": "delete_selected", "_selected_action": [task["id"] for task in doomed], "post": "yes"},
    )
    assert response.status_code == HTTPStatus.FOUND

    replica.expect(deleted=[task["id"] for task in doomed])
    assert set(replica.tasks) == {kept["id"]}


def test_an_admin_edit_of_a_task_shows_up_in_sync(alice_client, admin_client, replica):
    task = create(alice_client, title="Edit me in the admin", tags=["home"])
    replica.sync()
    tag = Tag.objects.get(name="home")

    response = admin_client.post(
        f"{ADMIN_CHANGELIST}{task['id']}/change/",
        {
            "user_id": task["user_id"],
            "title": "Edited by staff",
            "description": "",
            "priority": "2",
            "tags": [tag.pk],
            "completed": "",
            "due_at_0": "",
            "due_at_1": "",
        },
    )
    assert response.status_code == HTTPStatus.FOUND, response.content[:2000]

    replica.expect(changed=[task["id"]])
    assert replica.tasks[task["id"]]["title"] == "Edited by staff"
    replica.assert_matches_server()


def test_renaming_or_deleting_a_tag_shows_up_in_sync_on_its_tasks(alice_client, replica):
    tagged = create(alice_client, title="Tagged", tags=["errands"])
    other = create(alice_client, title="Other tag", tags=["work"])
    replica.sync()

    tag = Tag.objects.get(name="errands")
    tag.name = "chores"
    staff.save_tag(tag)
    replica.expect(changed=[tagged["id"]])
    assert replica.tasks[tagged["id"]]["tags"] == ["chores"]

    staff.delete_tags(Tag.objects.filter(name="work"))
    replica.expect(changed=[other["id"]])
    assert replica.tasks[other["id"]]["tags"] == []
    replica.assert_matches_server()
