"""The production server's bridge (config.wsgi_over_rsgi): the whole body is read, within
a time limit and a size limit, before the WSGI application gets a thread; the environ is
the one a WSGI server would build; and whatever happens, the client gets one answer."""

from __future__ import annotations

import asyncio
import threading
from http import HTTPStatus
from types import SimpleNamespace

import orjson
import pytest

from config.wsgi_over_rsgi import WsgiOverRsgi

MAX_BODY = 100


class Headers:
    """RSGI's header mapping: `items()` gives every (name, value), repeats included."""

    def __init__(self, pairs):
        self.pairs = pairs

    def items(self):
        return list(self.pairs)


def scope(method="GET", path="/api/me/tasks", headers=(), client="203.0.113.7:51234", query_string=""):
    return SimpleNamespace(
        proto="http",
        http_version="1.1",
        server="127.0.0.1:8000",
        client=client,
        scheme="http",
        method=method,
        path=path,
        query_string=query_string,
        headers=Headers([("host", "api.example.test"), *headers]),
        authority=None,
    )


class Protocol:
    """A connection whose body arrives as `chunks`, then (with `hang`) never ends."""

    def __init__(self, chunks=(), *, hang=False):
        self.chunks = list(chunks)
        self.hang = hang
        self.chunks_read = 0
        self.response = None

    async def __call__(self):
        return b"".join([chunk async for chunk in self])

    def __aiter__(self):
        return self._chunks()

    async def _chunks(self):
        for chunk in self.chunks:
            self.chunks_read += 1
            yield chunk
        if self.hang:
            await asyncio.Event().wait()

    def response_bytes(self, status, headers, body):
        assert self.response is None, "answered twice"
        self.response = (status, dict(headers), body)


class Recorder:
    """A WSGI application that keeps what it was given and answers 200."""

    environ = None

    def __call__(self, environ, start_response):
        self.environ = environ
        self.body = environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"hello, ", b"world"]


def serve(app, request_scope, protocol, body_timeout=5.0):
    bridge = WsgiOverRsgi(app, threads=2, max_body=MAX_BODY, body_timeout=body_timeout)
    try:
        asyncio.run(bridge.__rsgi__(request_scope, protocol))
    finally:
        bridge.executor.shutdown()
    return protocol.response


def test_the_application_gets_the_whole_body_and_its_answer_goes_back_whole():
    app = Recorder()
    headers = [("content-type", "application/json"), ("content-length", "12")]
    response = serve(app, scope("POST", headers=headers), Protocol([b'{"title"', b": 1}"]))

    assert response == (HTTPStatus.OK, {"Content-Type": "text/plain"}, b"hello, world")
    assert app.body == b'{"title": 1}'
    assert app.environ["CONTENT_LENGTH"] == "12"
    assert app.environ["CONTENT_TYPE"] == "application/json"


def test_the_environ_is_what_a_wsgi_server_builds():
    app = Recorder()
    headers = [
        ("cookie", "a=1"),
        ("cookie", "b=2"),
        ("accept", "text/html"),
        ("accept", "application/json"),
        ("x-forwarded-for", "198.51.100.1"),
    ]
    serve(app, scope(path="/api/caf\u00e9", headers=headers, query_string="limit=5"), Protocol())
    environ = app.environ

    assert environ["REQUEST_METHOD"] == "GET"
    # PEP 3333: the path's UTF-8 bytes, each carried as one latin-1 character.
    assert environ["PATH_INFO"] == "/api/caf\u00c3\u00a9"
    assert environ["QUERY_STRING"] == "limit=5"
    assert environ["HTTP_HOST"] == "api.example.test"
    assert environ["HTTP_COOKIE"] == "a=1; b=2"
    assert environ["HTTP_ACCEPT"] == "text/html,application/json"
    assert environ["HTTP_X_FORWARDED_FOR"] == "198.51.100.1"
    assert (environ["REMOTE_ADDR"], environ["REMOTE_PORT"]) == ("203.0.113.7", "51234")
    assert (environ["SERVER_NAME"], environ["SERVER_PORT"]) == ("127.0.0.1", "8000")
    assert environ["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert environ["wsgi.url_scheme"] == "http"
    assert environ["wsgi.input_terminated"] is True
    assert "CONTENT_LENGTH" not in environ
    assert app.body == b""


def test_an_ipv6_client_address_has_no_brackets():
    app = Recorder()
    serve(app, scope(client="[2001:db8::1]:4000"), Protocol())
    assert app.environ["REMOTE_ADDR"] == "2001:db8::1"


def test_a_body_that_does_not_arrive_in_time_is_a_408_and_never_reaches_the_application():
    app = Recorder()
    headers = [("content-length", "50")]
    response = serve(app, scope("POST", headers=headers), Protocol([b"{"], hang=True), body_timeout=0.05)

    status, response_headers, body = response
    assert status == HTTPStatus.REQUEST_TIMEOUT
    assert response_headers["connection"] == "close"
    assert orjson.loads(body) == {"detail": "The request body did not arrive in time."}
    assert app.environ is None


def test_a_chunked_body_is_read_only_one_byte_past_the_limit():
    app = Recorder()
    chunks = [b"x" * 60, b"x" * 60, b"x" * 60]
    protocol = Protocol(chunks)
    serve(app, scope("POST", headers=[("transfer-encoding", "chunked")]), protocol)

    assert protocol.chunks_read == 2
    assert len(app.body) > MAX_BODY
    assert "CONTENT_LENGTH" not in app.environ


def test_a_body_declared_over_the_limit_is_not_read_and_the_application_refuses_it():
    app = Recorder()
    protocol = Protocol([b"x" * 500])
    serve(app, scope("POST", headers=[("content-length", "500")]), protocol)

    assert protocol.chunks_read == 0
    assert app.environ["CONTENT_LENGTH"] == "500"
    assert app.body == b""


def test_a_body_cut_short_of_its_content_length_is_a_400():
    app = Recorder()
    response = serve(app, scope("POST", headers=[("content-length", "40")]), Protocol([b"{}"]))

    assert response[0] == HTTPStatus.BAD_REQUEST
    assert app.environ is None


@pytest.mark.parametrize(
    "app",
    [
        pytest.param(lambda environ, start_response: 1 / 0, id="raises"),
        pytest.param(lambda environ, start_response: [b"never started"], id="never starts a response"),
    ],
)
def test_an_application_failure_is_a_json_500(app):
    status, headers, body = serve(app, scope(), Protocol())

    assert status == HTTPStatus.INTERNAL_SERVER_ERROR
    assert orjson.loads(body) == {"detail": "Internal server error."}


def test_the_iterable_is_closed_after_its_answer_is_collected():
    closed = []

    class Body(list):
        def close(self):
            closed.append(True)

    def app(environ, start_response):
        start_response("204 No Content", [])
        return Body([b""])

    assert serve(app, scope(), Protocol()) == (HTTPStatus.NO_CONTENT, {}, b"")
    assert closed == [True]


def test_a_request_without_a_body_never_waits_on_the_connection():
    app = Recorder()
    protocol = Protocol([b"never sent"], hang=True)

    response = serve(app, scope("DELETE"), protocol, body_timeout=0.01)

    assert response[0] == HTTPStatus.OK
    assert protocol.chunks_read == 0
    assert app.body == b""


def test_an_application_that_exits_answers_500_and_its_thread_serves_on():
    def app(environ, start_response):
        if environ["PATH_INFO"] == "/exit":
            raise SystemExit(1)
        start_response("200 OK", [])
        return [threading.current_thread().name.encode()]

    bridge = WsgiOverRsgi(app, threads=1, max_body=MAX_BODY, body_timeout=5)

    async def two_requests():
        first, second = Protocol(), Protocol()
        await bridge.__rsgi__(scope(path="/exit"), first)
        await bridge.__rsgi__(scope(path="/next"), second)
        return first.response, second.response

    try:
        first, second = asyncio.run(two_requests())
    finally:
        bridge.executor.shutdown()

    assert first[0] == HTTPStatus.INTERNAL_SERVER_ERROR
    assert second == (HTTPStatus.OK, {}, b"wsgi_0")


def test_concurrent_requests_each_get_their_own_answer_from_at_most_threads_threads():
    running, most_at_once, lock = 0, 0, threading.Lock()
    # Each request waits until three run at once: the bridge must run three side by side.
    three_at_once = threading.Barrier(3)

    def app(environ, start_response):
        nonlocal running, most_at_once
        with lock:
            running += 1
            most_at_once = max(most_at_once, running)
        three_at_once.wait(timeout=10)
        with lock:
            running -= 1
        start_response("200 OK", [("X-Thread", threading.current_thread().name)])
        return [environ["QUERY_STRING"].encode()]

    bridge = WsgiOverRsgi(app, threads=3, max_body=MAX_BODY, body_timeout=5)
    assert bridge.executor.threads == []  # none before the first request: a worker forks first

    async def requests():
        protocols = [Protocol() for _ in range(39)]
        await asyncio.gather(
            *(bridge.__rsgi__(scope(query_string=f"n={n}"), p) for n, p in enumerate(protocols))
        )
        return [p.response for p in protocols]

    try:
        responses = asyncio.run(requests())
    finally:
        bridge.executor.shutdown()

    assert [body for _, _, body in responses] == [f"n={n}".encode() for n in range(39)]
    assert {headers["X-Thread"] for _, headers, _ in responses} == {"wsgi_0", "wsgi_1", "wsgi_2"}
    assert most_at_once == 3
    assert bridge.executor.threads == []  # shut down: every thread joined
