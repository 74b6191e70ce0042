"""Under the production server (config.rsgi) `/healthz` and `/readyz` are answered on the
event loop (config.probes_on_loop), so they answer while every request thread is busy:
the same bodies and statuses as the views, `/readyz` from the check in the probe's own
thread, and "unreachable" when that check does not answer within its budget."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from http import HTTPStatus

import orjson
import pytest
from django.db.migrations.executor import MigrationExecutor

from config import database_probe, health, probes_on_loop
from config.wsgi_over_rsgi import WsgiOverRsgi
from tests.test_wsgi_over_rsgi import MAX_BODY, Protocol, scope

# The probe's own thread and connection see only what is committed.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


class HeldThreads:
    """A WSGI application whose requests hold their thread until `release` is set."""

    def __init__(self) -> None:
        self.running = threading.Semaphore(0)
        self.release = threading.Event()
        self.paths: list[str] = []

    def __call__(self, environ, start_response):
        self.paths.append(environ["PATH_INFO"])
        self.running.release()
        self.release.wait(timeout=30)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"done"]


def serve_while_every_thread_is_held(*requests) -> tuple[list, HeldThreads]:
    """Each of `requests` (method, path, headers) sent while the bridge's only thread is
    held by another request; their answers, and the application that held it."""
    app = HeldThreads()
    bridge = WsgiOverRsgi(app, threads=1, max_body=MAX_BODY, body_timeout=5, on_loop=probes_on_loop.answer)

    async def scenario():
        holder = Protocol()
        held = asyncio.ensure_future(bridge.__rsgi__(scope("GET", "/api/me/tasks"), holder))
        await asyncio.to_thread(app.running.acquire)
        answers = []
        for method, path, headers in requests:
            protocol = Protocol()
            await bridge.__rsgi__(scope(method, path, headers), protocol)
            answers.append(protocol.response)
        app.release.set()
        await held
        answers.append(holder.response)
        return answers

    try:
        answers = asyncio.run(scenario())
    finally:
        app.release.set()
        bridge.executor.shutdown()
    return answers, app


def test_both_probes_answer_ok_while_every_thread_is_held():
    answers, app = serve_while_every_thread_is_held(("GET", "/healthz", ()), ("GET", "/readyz", ()))

    healthz, readyz, held = answers
    assert (healthz[0], orjson.loads(healthz[2])) == (HTTPStatus.OK, {"status": "ok"})
    assert (readyz[0], orjson.loads(readyz[2])) == (HTTPStatus.OK, {"status": "ok"})
    assert readyz[1]["content-type"] == "application/json"
    assert held[0] == HTTPStatus.OK
    assert app.paths == ["/api/me/tasks"]  # the probes never reached the application


def test_the_loop_answers_as_the_view_does(anon_client):
    (readyz, _), _ = serve_while_every_thread_is_held(("GET", "/readyz", ()))
    view = anon_client.get("/readyz")

    assert (readyz[0], readyz[2]) == (view.status_code, view.content)


def test_a_pending_migration_is_found_by_the_probes_own_thread(monkeypatch):
    monkeypatch.setattr(health, "_migrations_applied", False)
    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [("tasks", "9999")])

    (readyz, _), _ = serve_while_every_thread_is_held(("GET", "/readyz", ()))

    assert readyz[0] == HTTPStatus.SERVICE_UNAVAILABLE
    assert orjson.loads(readyz[2]) == {"status": "unavailable", "detail": "1 migration(s) not applied."}


def test_a_check_that_does_not_answer_within_its_budget_is_unreachable(monkeypatch):
    never = Future()
    monkeypatch.setattr(database_probe, "readiness_check", lambda: never)
    monkeypatch.setattr(database_probe, "probe_budget", lambda: 0.01)

    (readyz, _), _ = serve_while_every_thread_is_held(("GET", "/readyz", ()))

    assert readyz[0] == HTTPStatus.SERVICE_UNAVAILABLE
    assert orjson.loads(readyz[2]) == health.UNREACHABLE
    assert not never.cancelled()  # still there for the next probe to wait on


def test_a_head_probe_has_no_body_and_the_request_id_is_echoed():
    (head, _), _ = serve_while_every_thread_is_held(("HEAD", "/readyz", [("x-request-id", "probe-7")]))

    assert head[0] == HTTPStatus.OK
    assert head[2] == b""
    assert head[1]["x-request-id"] == "probe-7"


def test_another_method_on_a_probe_path_goes_on_to_the_application():
    app = HeldThreads()
    app.release.set()
    bridge = WsgiOverRsgi(app, threads=1, max_body=MAX_BODY, body_timeout=5, on_loop=probes_on_loop.answer)
    protocol = Protocol()
    try:
        asyncio.run(bridge.__rsgi__(scope("POST", "/healthz"), protocol))
    finally:
        bridge.executor.shutdown()

    assert protocol.response[2] == b"done"
    assert app.paths == ["/healthz"]
