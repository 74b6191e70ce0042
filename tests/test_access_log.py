"""One JSON access line per request: method, path, status, duration, request id and the
principal, and never the query string, the token or the body."""

from __future__ import annotations

import json
import logging
from http import HTTPStatus

import pytest

from config.middleware.request_id import JsonLogFormatter
from tasks.identity.principal import principal_id
from tests.conftest import tasks_url

pytestmark = pytest.mark.django_db


def access_lines(caplog) -> list[dict]:
    return [json.loads(JsonLogFormatter().format(r)) for r in caplog.records if r.name == "tasks.access"]


def test_each_request_writes_one_line_with_who_did_what(alice, alice_client, caplog):
    with caplog.at_level(logging.INFO, logger="tasks.access"):
        response = alice_client.post(
            tasks_url() + "?note=secret-in-query",
            {"title": "private body"},
            format="json",
            HTTP_X_REQUEST_ID="trace-42",
        )

    [line] = access_lines(caplog)
    assert response.status_code == HTTPStatus.CREATED
    assert line["method"] == "POST"
    assert line["path"] == "/api/me/tasks"
    assert line["status"] == HTTPStatus.CREATED
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["request_id"] == "trace-42"
    assert line["principal"] == principal_id(alice)
    written = json.dumps(line)
    # "eyJ": how every JWT begins.
    for secret in ("eyJ", "Bearer", "secret-in-query", "private body"):
        assert secret not in written


def test_refusals_are_logged_too_without_a_principal(anon_client, caplog):
    with caplog.at_level(logging.INFO, logger="tasks.access"):
        anon_client.get(tasks_url())

    [line] = access_lines(caplog)
    assert line["status"] == HTTPStatus.UNAUTHORIZED
    assert line["principal"] is None


def test_access_log_off(alice_client, caplog, settings):
    settings.ACCESS_LOG = False

    with caplog.at_level(logging.INFO, logger="tasks.access"):
        alice_client.get(tasks_url())

    assert access_lines(caplog) == []


def test_the_line_keeps_its_keys_order_and_values(alice_client, caplog):
    with caplog.at_level(logging.INFO, logger="tasks.access"):
        alice_client.get(tasks_url(), HTTP_X_REQUEST_ID="trace-7")

    [record] = [r for r in caplog.records if r.name == "tasks.access"]
    formatter = JsonLogFormatter()
    line = json.loads(formatter.format(record))
    assert list(line) == [
        "time",
        "level",
        "logger",
        "message",
        "request_id",
        "method",
        "path",
        "status",
        "duration_ms",
        "principal",
    ]
    assert line["time"] == formatter.formatTime(record, "%Y-%m-%dT%H:%M:%S%z")
    assert [line["level"], line["logger"]] == ["INFO", "tasks.access"]
    assert line["message"] == "GET /api/me/tasks 200"
    assert line["request_id"] == "trace-7"


def test_values_orjson_refuses_still_make_a_line():
    record = logging.makeLogRecord(
        {"msg": "odd", "fields": {"when": HTTPStatus.OK, "big": 2**70, "path": "/api/tâches"}}
    )

    line = json.loads(JsonLogFormatter().format(record))

    assert (line["when"], line["big"], line["path"]) == (200, 2**70, "/api/tâches")
