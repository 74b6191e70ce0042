"""A platform's health probes reach an instance at its internal address: /healthz and
/readyz answer whatever the Host header says, without an error log; every other path
still refuses a Host that ALLOWED_HOSTS does not list."""

from __future__ import annotations

import logging
from http import HTTPStatus

import pytest

pytestmark = pytest.mark.django_db

INTERNAL = "10.0.3.7:8000"


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_a_probe_at_an_internal_address_is_answered_without_an_error_log(anon_client, path, caplog):
    with caplog.at_level(logging.WARNING):
        response = anon_client.get(path, HTTP_HOST=INTERNAL)

    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["status"] == "ok"
    assert [record for record in caplog.records if record.levelno >= logging.WARNING] == []


def test_any_other_path_still_refuses_an_unknown_host(anon_client):
    assert anon_client.get("/api/schema", HTTP_HOST=INTERNAL).status_code == HTTPStatus.BAD_REQUEST


def test_a_probe_path_with_another_method_is_not_answered_by_the_probe(anon_client):
    response = anon_client.post("/healthz", HTTP_HOST=INTERNAL)

    assert response.status_code == HTTPStatus.BAD_REQUEST
