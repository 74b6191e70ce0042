"""Bodies sent with `Transfer-Encoding: chunked` (no Content-Length) reach the API whole,
through the production server and through the WSGI application alone."""

from __future__ import annotations

import io
from http import HTTPStatus

import orjson
import pytest
import requests
from django.db import connection
from rest_framework_simplejwt.tokens import AccessToken

from config.middleware.chunked_bodies import ChunkedBodies
from tasks.identity.principal import principal_id
from tasks.models import Task
from tests.conftest import tasks_url
from tests.e2e.servers import production_servers


def chunks(payload: bytes, size: int = 5):
    """A generator body: requests then sends it chunked, without a Content-Length."""
    for start in range(0, len(payload), size):
        yield payload[start : start + size]


@pytest.mark.e2e
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the server process needs a shared database")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_chunked_create_and_an_oversized_one_through_the_production_server(alice):
    headers = {"Authorization": f"Bearer {AccessToken.for_user(alice)}", "Content-Type": "application/json"}
    body = orjson.dumps({"title": "Sent in chunks", "tags": ["stream"]})
    too_big = orjson.dumps({"title": "x", "description": "y" * 2000})

    with production_servers(1, MAX_BODY_BYTES="1024") as (server,):
        url = server + tasks_url(principal_id(alice))
        created = requests.post(url, data=chunks(body), headers=headers, timeout=10)
        refused = requests.post(url, data=chunks(too_big, 500), headers=headers, timeout=10)

    assert created.request.headers.get("Transfer-Encoding") == "chunked"
    assert "Content-Length" not in created.request.headers
    assert created.status_code == HTTPStatus.CREATED, created.text
    assert created.json()["title"] == "Sent in chunks"
    assert refused.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE, refused.text
    assert list(Task.objects.values_list("title", "tag_names")) == [("Sent in chunks", ["stream"])]


class Recorder:
    """A WSGI application that keeps what it was given."""

    def __call__(self, environ, start_response):
        self.content_length = environ.get("CONTENT_LENGTH")
        self.body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response("200 OK", [])
        return [b""]


def call(environ: dict) -> Recorder:
    recorder = Recorder()
    ChunkedBodies(recorder)(environ, lambda status, headers: None)
    return recorder


def test_a_terminated_chunked_body_gets_its_length(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    recorder = call(
        {
            "HTTP_TRANSFER_ENCODING": "chunked",
            "wsgi.input_terminated": True,
            "wsgi.input": io.BytesIO(b'{"title": "whole"}'),
        }
    )

    assert (recorder.content_length, recorder.body) == ("18", b'{"title": "whole"}')


def test_a_chunked_body_is_read_one_byte_past_the_limit_so_that_it_gets_a_413(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10
    body = io.BytesIO(b"x" * 50)
    recorder = call({"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input_terminated": True, "wsgi.input": body})

    assert recorder.content_length == "11"


@pytest.mark.parametrize(
    "environ",
    [
        # The server does not promise that the stream ends with the body: reading to its
        # end could wait for the next request's bytes.
        {"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": io.BytesIO(b"abc")},
        # A declared length is Django's to honour.
        {"CONTENT_LENGTH": "2", "wsgi.input_terminated": True, "wsgi.input": io.BytesIO(b"abc")},
    ],
)
def test_other_bodies_are_left_as_they_came(environ):
    recorder = call(dict(environ))

    assert recorder.content_length == environ.get("CONTENT_LENGTH")
