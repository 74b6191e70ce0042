"""Serve a WSGI application over granian's RSGI interface, so that no thread ever waits
on a client.

Under granian's own WSGI interface a request takes one of the worker's few threads as
soon as its headers arrive, and the thread then reads the body from the socket at the
client's pace: 16 clients sending a byte every 2 s held every thread of the server. Here
the event loop reads the whole body first, where a waiting connection costs a little
memory and no thread: within `body_timeout` seconds (else a 408 and the connection is
closed), and never more than one byte past `max_body` (Django then answers the 413 itself,
as before). Only then does the request go to the thread pool, which runs the WSGI
application to the end and hands back the whole response in one step: one hop between
the loop and a thread per request. The application's own streamed responses are sent
once complete (none of the API's responses is streamed).

`on_loop` may answer some requests on the event loop itself, before any thread is taken
(the health probes, config.probes_on_loop): it returns an awaitable of the response, or
None to let the request go on to the application; `on_start` runs as each worker starts.

Measured against granian's WSGI interface, this costs about as much CPU per request and
much less than the alternatives (an ASGI adapter such as a2wsgi, or nginx in front):
docs/scaling.md, "Slow and idle clients".
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import queue
import sys
import threading
from collections.abc import Awaitable, Callable

logger = logging.getLogger("config.server")

JSON = ("content-type", "application/json")
# `connection: close`: what is left of a refused body is never read.
CLOSING_JSON = [JSON, ("connection", "close")]
REQUEST_TIMEOUT = (408, CLOSING_JSON, b'{"detail": "The request body did not arrive in time."}')
BODY_CUT_OFF = (400, CLOSING_JSON, b'{"detail": "The request body ended before its Content-Length."}')
SERVER_ERROR = (500, [JSON], b'{"detail": "Internal server error."}')

Response = tuple[int, list[tuple[str, str]], bytes]


class WsgiOverRsgi:
    """An RSGI application (granian `--interface rsgi`) running `app` in `threads` threads."""

    def __init__(
        self,
        app,
        *,
        threads: int,
        max_body: int,
        body_timeout: float,
        on_loop: Callable[..., Awaitable[Response] | None] | None = None,
        on_start: Callable[[], None] | None = None,
    ) -> None:
        self.app = app
        self.threads = threads
        self.max_body = max_body
        self.body_timeout = body_timeout
        self.on_loop = on_loop
        self.on_start = on_start
        self.executor = RequestThreads(threads, self._run)

    def __rsgi_init__(self, loop) -> None:
        if self.on_start is not None:
            self.on_start()

    def __rsgi_del__(self, loop) -> None:
        # As the worker stops: the requests its threads hold run to their end.
        self.executor.shutdown()

    async def __rsgi__(self, scope, protocol) -> None:
        if scope.proto != "http":
            return
        headers = _joined(scope.headers.items())
        if self.on_loop is not None:
            answering = self.on_loop(scope, headers)
            if answering is not None:
                protocol.response_bytes(*await answering)
                return
        body = b""
        if _body_to_read(scope, headers, self.max_body):
            try:
                async with asyncio.timeout(self.body_timeout):
                    body = await self._body(headers, protocol)
            except TimeoutError:
                protocol.response_bytes(*REQUEST_TIMEOUT)
                return
            if body is None:
                protocol.response_bytes(*BODY_CUT_OFF)
                return
        protocol.response_bytes(*await self.executor.run(_environ(scope, headers, body)))

    async def _body(self, headers: dict[str, str], protocol) -> bytes | None:
        """The whole body, or its first max_body + 1 bytes when it is longer (enough for
        Django's 413); None when the client stopped short of its Content-Length (one that
        `_body_to_read` let through: digits, within max_body)."""
        length = headers.get("content-length")
        if length is not None:
            body = await protocol()
            return body if len(body) == int(length) else None
        chunks, size = [], 0
        async for chunk in protocol:
            chunks.append(chunk)
            size += len(chunk)
            if size > self.max_body:
                break
        return b"".join(chunks)

    def _run(self, environ: dict) -> Response:
        """Call the WSGI application in this thread and collect its whole response."""
        response: list = []
        chunks: list[bytes] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info=None):
            response[:] = [int(status[:3]), headers]
            return chunks.append

        try:
            result = self.app(environ, start_response)
            try:
                chunks.extend(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        except Exception:
            logger.exception("The WSGI application failed outside Django's own error handling")
            return SERVER_ERROR
        if not response:
            logger.error("The WSGI application returned without starting a response")
            return SERVER_ERROR
        return response[0], response[1], b"".join(chunks)


def _body_to_read(scope, headers: dict[str, str], max_body: int) -> bool:
    """Whether the request has a body to wait for: not when none is announced, nor when
    Django refuses it from its Content-Length alone (the 413)."""
    length = headers.get("content-length")
    if length is not None:
        return length.isdigit() and 0 < int(length) <= max_body
    # HTTP/1.x: without either header a request has no body (RFC 9112, 6.3).
    return scope.http_version == "2" or "transfer-encoding" in headers


class RequestThreads:
    """`size` threads, each running `handle(environ)` for one request at a time.

    concurrent.futures' executor, through `loop.run_in_executor`, hands each request over
    with a Future of its own (a lock and a condition), a second Future on the loop chained
    to it, and the thread-count bookkeeping of its `submit`. Here a request crosses with
    one `SimpleQueue.put` (C) and its answer comes back with one `call_soon_threadsafe`
    setting the future the loop waits on: the bridge's CPU per request fell from ~67 to
    ~37 µs (docs/scaling.md). Threads start with the first request, so in the worker
    process that serves it, never in the process that forks the workers.
    """

    def __init__(self, size: int, handle: Callable[[dict], Response]) -> None:
        self.size = size
        self.handle = handle
        self.requests: queue.SimpleQueue = queue.SimpleQueue()
        self.threads: list[threading.Thread] = []

    def run(self, environ: dict) -> asyncio.Future:
        """The future of `environ`'s response, set on the running loop once a thread has it."""
        if not self.threads:
            self._start()
        loop = asyncio.get_running_loop()
        answer = loop.create_future()
        self.requests.put((environ, answer, loop))
        return answer

    def shutdown(self) -> None:
        """Each thread ends once the requests before it are answered."""
        for _ in self.threads:
            self.requests.put(None)
        for thread in self.threads:
            thread.join()
        self.threads = []

    def _start(self) -> None:
        for number in range(self.size):
            # Daemon threads, so that a bridge nobody shuts down never holds its process
            # open; granian's worker shuts this one down (`__rsgi_del__`) as it stops.
            thread = threading.Thread(target=self._serve, name=f"wsgi_{number}", daemon=True)
            thread.start()
            self.threads.append(thread)

    def _serve(self) -> None:
        while (request := self.requests.get()) is not None:
            environ, answer, loop = request
            try:
                response = self.handle(environ)
            except BaseException:  # SystemExit, say: the client still gets its answer
                logger.exception("The WSGI application raised past its own error handling")
                response = SERVER_ERROR
            # RuntimeError: the loop is closed, the worker is gone and its client with it.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_resolve, answer, response)


def _resolve(answer: asyncio.Future, response: Response) -> None:
    if not answer.done():  # not cancelled
        answer.set_result(response)


def _joined(items) -> dict[str, str]:
    """Header values by lower-case name, repeated headers joined as one (cookies with `;`)."""
    headers: dict[str, str] = {}
    for name, value in items:
        if name in headers:
            value = headers[name] + ("; " if name == "cookie" else ",") + value
        headers[name] = value
    return headers


def _host_and_port(address: str) -> tuple[str, str]:
    host, _, port = address.rpartition(":")
    return host.strip("[]"), port


WHOLE_RESPONSES = "tasks.whole_responses"


def _environ(scope, headers: dict[str, str], body: bytes) -> dict:
    """The WSGI environ (PEP 3333) granian's WSGI interface would have built."""
    server_name, server_port = _host_and_port(scope.server)
    remote_addr, remote_port = _host_and_port(scope.client)
    environ = {
        "REQUEST_METHOD": scope.method,
        "SCRIPT_NAME": "",
        # WSGI strings carry bytes as latin-1; RSGI gives the decoded path.
        "PATH_INFO": scope.path.encode().decode("latin-1"),
        "QUERY_STRING": scope.query_string,
        "SERVER_NAME": server_name,
        "SERVER_PORT": server_port,
        "SERVER_PROTOCOL": f"HTTP/{scope.http_version}",
        "REMOTE_ADDR": remote_addr,
        "REMOTE_PORT": remote_port,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.scheme,
        "wsgi.input": io.BytesIO(body),
        # The body is all there: reading to the end is safe without a Content-Length
        # (config.middleware.chunked_bodies relies on it).
        "wsgi.input_terminated": True,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        # Responses go out whole, once the app has returned them: an endless one (the
        # event stream) would never be sent. The stream view reads this and refuses.
        WHOLE_RESPONSES: True,
    }
    for name, value in headers.items():
        if name == "content-type":
            environ["CONTENT_TYPE"] = value
        elif name == "content-length":
            environ["CONTENT_LENGTH"] = value
        else:
            environ["HTTP_" + name.upper().replace("-", "_")] = value
    if "HTTP_HOST" not in environ and scope.authority:
        environ["HTTP_HOST"] = scope.authority  # HTTP/2's :authority
    return environ
