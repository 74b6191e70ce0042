"""Races over real HTTP, on PostgreSQL (the production database): incremental sync under
concurrent writers, one `Idempotency-Key` raced across two server processes, and two
writers racing with the same `If-Match`. Run with `-s` to see the figures."""

from __future__ import annotations

import random
import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus

import pytest
import requests
from django.db import connection
from rest_framework_simplejwt.tokens import AccessToken

from tasks.identity.principal import principal_id
from tasks.models import IdempotencyRecord, Task
from tests.conftest import tasks_url
from tests.e2e.servers import production_servers

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrency is tested on PostgreSQL"),
    # The servers see only committed rows.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WRITERS = 4
OPS_PER_WRITER = 60
MAX_READER_SYNCS = 5000
RACERS = 8
IDEMPOTENCY_ROUNDS = 3
IF_MATCH_ROUNDS = 10
TIMEOUT = 30


class Tally:
    """Responses seen by every thread, counted under a lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: Counter[int] = Counter()

    def saw(self, response: requests.Response) -> requests.Response:
        with self.lock:
            self.statuses[response.status_code] += 1
        return response

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500)


def session_for(user) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {AccessToken.for_user(user)}"
    return session


def test_sync_under_concurrent_writers_ends_with_a_replica_equal_to_the_server(live_server, alice):
    base = live_server.url
    tally = Tally()
    start = threading.Barrier(WRITERS + 1, timeout=TIMEOUT)
    writers_done = threading.Event()

    def writer(number: int) -> int:
        """A bounded mix of writes on this writer's own tasks; returns how many it made."""
        rng = random.Random(number)
        mine: list[str] = []
        with session_for(alice) as http:
            start.wait()
            for step in range(OPS_PER_WRITER):
                op = (
                    rng.choice(["create", "create", "put", "patch", "complete", "delete"])
                    if mine
                    else "create"
                )
                if op == "create":
                    response = tally.saw(
                        http.post(
                            base + tasks_url(),
                            json={"title": f"w{number} #{step}", "tags": rng.sample(["a", "b", "c"], 2)},
                            timeout=TIMEOUT,
                        )
                    )
                    assert response.status_code == HTTPStatus.CREATED, response.text
                    mine.append(response.json()["id"])
                    continue
                task_id = rng.choice(mine)
                url = base + tasks_url("me", task_id)
                if op == "put":
                    body = {"title": f"w{number} put {step}", "tags": rng.sample(["a", "b", "c", "d"], 1)}
                    response = tally.saw(http.put(url, json=body, timeout=TIMEOUT))
                elif op == "patch":
                    body = {"priority": rng.choice(["none", "low", "medium", "high"])}
                    response = tally.saw(http.patch(url, json=body, timeout=TIMEOUT))
                elif op == "complete":
                    response = tally.saw(http.patch(url + "/complete", timeout=TIMEOUT))
                else:
                    response = tally.saw(http.delete(url, timeout=TIMEOUT))
                    mine.remove(task_id)
                assert response.status_code in (HTTPStatus.OK, HTTPStatus.NO_CONTENT), response.text
        return OPS_PER_WRITER

    replica: dict[str, dict] = {}
    deleted: set[str] = set()
    sync_state = {"token": None, "syncs": 0, "overlapping": 0, "changes": 0, "deletions": 0}

    def sync_once(http: requests.Session) -> dict:
        params = {} if sync_state["token"] is None else {"since": sync_state["token"]}
        response = tally.saw(http.get(base + tasks_url("me", suffix="/sync"), params=params, timeout=TIMEOUT))
        assert response.status_code == HTTPStatus.OK, response.text
        body = response.json()
        for task in body["changed"]:
            assert task["id"] not in deleted, f"deleted task {task['id']} came back in `changed`"
            replica[task["id"]] = task
        for task_id in body["deleted"]:
            replica.pop(task_id, None)
            deleted.add(task_id)
        sync_state["token"] = body["next"]
        sync_state["syncs"] += 1
        sync_state["changes"] += len(body["changed"])
        sync_state["deletions"] += len(body["deleted"])
        return body

    def reader() -> None:
        with session_for(alice) as http:
            start.wait()
            while not writers_done.is_set() and sync_state["syncs"] < MAX_READER_SYNCS:
                body = sync_once(http)
                if (body["changed"] or body["deleted"]) and not writers_done.is_set():
                    sync_state["overlapping"] += 1

    with ThreadPoolExecutor(max_workers=WRITERS + 1) as pool:
        reading = pool.submit(reader)
        writing = [pool.submit(writer, number) for number in range(WRITERS)]
        try:
            write_ops = sum(future.result() for future in writing)
        finally:
            writers_done.set()
        reading.result()

    with session_for(alice) as http:
        sync_once(http)
        listed = tally.saw(http.get(base + tasks_url(), params={"limit": 1000}, timeout=TIMEOUT))
    server = {task["id"]: task for task in listed.json()}

    print(
        f"\nsync under concurrent writes: {WRITERS} writer clients + 1 syncing client, "
        f"{write_ops} write ops, {sync_state['syncs']} syncs ({sync_state['overlapping']} of them "
        f"delivered changes while writers ran), {sync_state['changes']} changes and "
        f"{sync_state['deletions']} deletions applied, {len(server)} tasks at the end, "
        f"{tally.requests} requests, {tally.server_errors} 5xx"
    )
    assert tally.server_errors == 0
    assert sync_state["overlapping"] >= 3, "the reader never synced while the writers were writing"
    assert replica.keys() == server.keys()
    assert replica == server
    assert Task.objects.filter(user_id=principal_id(alice)).count() == len(server)


def test_one_idempotency_key_raced_across_two_server_processes_creates_one_task(alice):
    tally = Tally()
    body = {"title": "Raced", "tags": ["race"], "priority": "medium"}

    with production_servers(2) as servers, ThreadPoolExecutor(max_workers=RACERS) as pool:
        for round_number in range(IDEMPOTENCY_ROUNDS):
            key = f"race-{round_number}-{uuid.uuid4()}"
            at_once = threading.Barrier(RACERS, timeout=TIMEOUT)

            def racer(number: int, key=key, at_once=at_once) -> requests.Response:
                url = servers[number % len(servers)] + tasks_url(principal_id(alice))
                with session_for(alice) as http:
                    at_once.wait()
                    return tally.saw(
                        http.post(url, json=body, headers={"Idempotency-Key": key}, timeout=TIMEOUT)
                    )

            responses = list(pool.map(racer, range(RACERS)))

            assert [response.status_code for response in responses] == [HTTPStatus.CREATED] * RACERS, [
                (response.status_code, response.text[:200]) for response in responses
            ]
            bodies = [response.json() for response in responses]
            assert all(other == bodies[0] for other in bodies)
            assert len({response.headers["ETag"] for response in responses}) == 1
            fresh = [response for response in responses if "Idempotent-Replayed" not in response.headers]
            assert len(fresh) == 1, "exactly one request must have done the work"
            assert IdempotencyRecord.objects.filter(user_id=principal_id(alice), key=key).count() == 1

    created = Task.objects.filter(user_id=principal_id(alice))
    print(
        f"\nidempotency race: {RACERS} concurrent clients x {IDEMPOTENCY_ROUNDS} rounds over "
        f"{len(servers)} server processes (2 workers each), {tally.requests} POSTs, "
        f"{created.count()} tasks created, {tally.server_errors} 5xx"
    )
    assert tally.server_errors == 0
    assert created.count() == IDEMPOTENCY_ROUNDS


def test_two_writers_racing_with_the_same_if_match_get_one_200_and_one_412(live_server, alice, make_task):
    tally = Tally()
    task = make_task(alice, title="Contended")
    url = live_server.url + tasks_url("me", task.pk)
    outcomes: Counter[tuple[int, ...]] = Counter()

    with ThreadPoolExecutor(max_workers=2) as pool, session_for(alice) as reader:
        for round_number in range(IF_MATCH_ROUNDS):
            etag = tally.saw(reader.get(url, timeout=TIMEOUT)).headers["ETag"]
            at_once = threading.Barrier(2, timeout=TIMEOUT)

            def put(title: str, etag=etag, at_once=at_once) -> requests.Response:
                with session_for(alice) as http:
                    at_once.wait()
                    return tally.saw(
                        http.put(url, json={"title": title}, headers={"If-Match": etag}, timeout=TIMEOUT)
                    )

            titles = [f"round {round_number} writer {n}" for n in range(2)]
            responses = list(pool.map(put, titles))
            statuses = tuple(sorted(response.status_code for response in responses))
            outcomes[statuses] += 1

            assert statuses == (HTTPStatus.OK, HTTPStatus.PRECONDITION_FAILED), statuses
            winner = next(t for t, r in zip(titles, responses, strict=True) if r.status_code == HTTPStatus.OK)
            assert Task.objects.get(pk=task.pk).title == winner

    print(
        f"\nIf-Match race: 2 concurrent clients x {IF_MATCH_ROUNDS} rounds, {tally.requests} requests, "
        f"outcomes {dict(outcomes)}, {tally.server_errors} 5xx"
    )
    assert tally.server_errors == 0
