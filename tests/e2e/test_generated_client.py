"""A Python client generated from the live `/api/schema` (openapi-python-client) works
unchanged: a whole round trip through it against the live server. The client refuses
any status the schema does not declare, so a missing response is a failure here too."""

from __future__ import annotations

import importlib
import subprocess
import sys
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path

import pytest
import requests

from tasks.models import Task

# Committed rows for the live server; migration-made rows restored after the flush.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PACKAGE = "tasks_client"
# No formatter run after generation: the client is imported, never read.
GENERATOR_CONFIG = f"post_hooks: []\npackage_name_override: {PACKAGE}\nproject_name_override: {PACKAGE}\n"


@pytest.fixture
def client_package(live_server, tmp_path):
    """The generated package, imported from a temporary directory, forgotten afterwards."""
    schema = requests.get(f"{live_server.url}/api/schema", params={"format": "json"}, timeout=10)
    assert schema.status_code == HTTPStatus.OK
    (tmp_path / "schema.json").write_bytes(schema.content)
    (tmp_path / "config.yaml").write_text(GENERATOR_CONFIG)
    generator = Path(sys.executable).with_name("openapi-python-client")
    result = subprocess.run(
        [
            str(generator),
            "generate",
            "--path",
            str(tmp_path / "schema.json"),
            "--config",
            str(tmp_path / "config.yaml"),
            "--meta",
            "none",
            "--output-path",
            str(tmp_path / PACKAGE),
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def test_a_generated_client_does_a_whole_round_trip(client_package, live_server, alice):
    # Imported here: the package exists only once the fixture has generated it.
    from tasks_client import models
    from tasks_client.api.auth import auth_token_create
    from tasks_client.api.tags import tags_list
    from tasks_client.api.tasks import (
        tasks_complete_partial_update,
        tasks_create,
        tasks_destroy,
        tasks_list,
        tasks_partial_update,
        tasks_retrieve,
        tasks_update,
    )
    from tasks_client.client import AuthenticatedClient, Client

    anonymous = Client(base_url=live_server.url, raise_on_unexpected_status=True)
    tokens = auth_token_create.sync(
        client=anonymous,
        body=models.TokenObtainPairRequest(username="alice", password="alice-pass-123!"),
    )
    assert isinstance(tokens, models.TokenPair)
    client = AuthenticatedClient(
        base_url=live_server.url, token=tokens.access, raise_on_unexpected_status=True
    )
    due = datetime(2031, 5, 17, 9, 30, tzinfo=UTC)

    created = tasks_create.sync_detailed(
        "me",
        client=client,
        body=models.TaskRequest(
            title="File the tax return",
            description="Receipts are in the blue folder",
            priority=models.PriorityEnum.HIGH,
            tags=["paperwork", "home"],
            due_at=due,
        ),
        idempotency_key="round-trip-1",
    )
    assert created.status_code == HTTPStatus.CREATED
    task = created.parsed
    assert (task.title, task.priority, task.tags, task.due_at) == (
        "File the tax return",
        models.PriorityEnum.HIGH,
        ["home", "paperwork"],
        due,
    )
    assert created.headers["ETag"]
    other = tasks_create.sync("me", client=client, body=models.TaskRequest(title="Water the plants"))
    assert other.tags == [] and other.description is None

    listed = tasks_list.sync(
        "me", client=client, tag=["paperwork"], ordering=models.TasksListOrdering.TITLE_DESC
    )
    assert [item.id for item in listed] == [task.id]
    # The hackathon's names: the client sends no default `ordering` along to contradict them.
    by_title = tasks_list.sync(
        "me",
        client=client,
        sort=models.TasksListSort.TITLE,
        order=models.TasksListOrder.DESC,
        status=models.TasksListStatus.PENDING,
    )
    assert [item.title for item in by_title] == ["Water the plants", "File the tax return"]
    a_to_z = tasks_list.sync("me", client=client, sort=models.TasksListSort.TITLE, limit=1)
    assert [item.id for item in a_to_z] == [task.id]

    fetched = tasks_retrieve.sync_detailed("me", task.id, client=client)
    assert fetched.status_code == HTTPStatus.OK
    assert fetched.parsed.to_dict() == task.to_dict()

    renamed = tasks_update.sync(
        "me",
        task.id,
        client=client,
        body=models.PatchedTaskRequest(title="File the 2030 tax return"),
        if_match=fetched.headers["ETag"],
    )
    assert (renamed.title, renamed.tags) == ("File the 2030 tax return", ["home", "paperwork"])

    # null clears a field, and an empty list clears the tags (sent as JSON, not as a form).
    cleared = tasks_partial_update.sync(
        "me",
        task.id,
        client=client,
        body=models.PatchedTaskRequest(description=None, due_at=None, tags=[]),
    )
    assert (cleared.description, cleared.due_at, cleared.tags) == (None, None, [])
    stored = Task.objects.get(pk=task.id)
    assert (stored.description, stored.due_at) == (None, None)

    completed = tasks_complete_partial_update.sync(
        "me", task.id, client=client, body=models.PatchedCompletionRequest(completed=True)
    )
    assert completed.completed is True and completed.completed_at
    done = tasks_list.sync("me", client=client, status=models.TasksListStatus.COMPLETED)
    assert [item.id for item in done] == [task.id]

    tagged = tasks_update.sync("me", other.id, client=client, body=models.PatchedTaskRequest(tags=["garden"]))
    assert tagged.tags == ["garden"]
    assert [(tag.name, tag.count) for tag in tags_list.sync("me", client=client)] == [("garden", 1)]

    deleted = tasks_destroy.sync_detailed("me", task.id, client=client)
    assert deleted.status_code == HTTPStatus.NO_CONTENT
    gone = tasks_retrieve.sync_detailed("me", task.id, client=client)
    assert gone.status_code == HTTPStatus.NOT_FOUND
    assert isinstance(gone.parsed, models.Error) and gone.parsed.detail
    assert [item.id for item in tasks_list.sync("me", client=client)] == [other.id]
