"""Fixtures for the schema fuzz: a user with a token and a few tasks under fixed ids,
and a tally of the requests sent, printed at the end of the session."""

from __future__ import annotations

from collections import Counter
from uuid import UUID

import pytest
import requests

from tasks.data.staff import load_tasks
from tasks.models import Task

FUZZ_PASSWORD = "fuzz-pass-123!"
# Tasks that exist under fixed ids, so that the fuzz reaches the handlers of
# `/tasks/{task_id}` rather than only their 404s.
SEED_TASK_IDS = [
    UUID("7d2f2f62-2a40-4a36-9a6a-2f3f1c0c0001"),
    UUID("7d2f2f62-2a40-4a36-9a6a-2f3f1c0c0002"),
    UUID("7d2f2f62-2a40-4a36-9a6a-2f3f1c0c0003"),
]

REQUESTS_SENT: Counter[str] = Counter()
RESPONSES_SEEN: Counter[str] = Counter()


def ensure_seed_tasks(user_id: str) -> None:
    """(Re)create the seed tasks: the fuzz deletes and rewrites them as it goes."""
    present = set(Task.objects.filter(id__in=SEED_TASK_IDS).values_list("id", flat=True))
    load_tasks(
        Task(id=task_id, user_id=user_id, title=f"Seed task {index}", completed=index == 0)
        for index, task_id in enumerate(SEED_TASK_IDS)
        if task_id not in present
    )


@pytest.fixture
def fuzz_user(django_user_model):
    return django_user_model.objects.create_user(username="fuzzer", password=FUZZ_PASSWORD)


@pytest.fixture
def fuzz_token(live_server, fuzz_user) -> str:
    """A token obtained the way a client obtains one."""
    response = requests.post(
        f"{live_server.url}/api/auth/token",
        json={"username": fuzz_user.username, "password": FUZZ_PASSWORD},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()["access"]


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not REQUESTS_SENT:
        return
    terminalreporter.section("schema fuzz: requests sent")
    for label, count in sorted(REQUESTS_SENT.items()):
        terminalreporter.write_line(f"{count:6d}  {label}")
    terminalreporter.write_line(f"{sum(REQUESTS_SENT.values()):6d}  in total")
    statuses = ", ".join(f"{count} {status}" for status, count in sorted(RESPONSES_SEEN.items()))
    terminalreporter.write_line(f"        responses: {statuses}")
