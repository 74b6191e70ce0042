"""The Procfile's server answers a platform's probes at an internal address: /healthz
and /readyz whatever the Host, with no ERROR in its log; other paths still 400."""

from __future__ import annotations

from http import HTTPStatus

import pytest
import requests
from django.db import connection

from tests.e2e.servers import ProductionServer, collect_static

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the server needs a shared database"),
]


def test_probes_at_an_internal_address_are_answered():
    collect_static()  # /readyz waits for the static files, as in a deploy
    server = ProductionServer(workers=1, ACCESS_LOG="0")
    internal = {"Host": "10.0.3.7:8000"}
    try:
        server.wait_until_ready()
        healthz = requests.get(server.url + "/healthz", headers=internal, timeout=10)
        readyz = requests.get(server.url + "/readyz", headers=internal, timeout=10)
        output_after_probes = server.output()
        other = requests.get(server.url + "/api/schema", headers=internal, timeout=10)
    finally:
        server.stop()

    assert healthz.status_code == HTTPStatus.OK
    assert readyz.status_code == HTTPStatus.OK, readyz.text
    assert '"level": "ERROR"' not in output_after_probes
    assert other.status_code == HTTPStatus.BAD_REQUEST
