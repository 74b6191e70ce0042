"""A TCP proxy in a thread, to cut a server off from its database and reconnect it."""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading


class TcpProxy:
    """Forwards `host`:`port` (127.0.0.1 and a free port by default) to `target`.
    `cut()` drops every connection and refuses new ones; `restore()` listens again on
    the same port. `cut_after(marker)` cuts as soon as the client has sent `marker` on
    to the server: the statement arrives, its answer never does."""

    def __init__(self, target: tuple[str, int], *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.target = target
        self.host = host
        self._listener = self._listen(port)
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._cut_marker: bytes | None = None
        self.cut_done = threading.Event()
        self._start_accepting()

    def _listen(self, port: int) -> socket.socket:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, port))
        listener.listen(64)
        return listener

    def _start_accepting(self) -> None:
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # the listener was closed by cut()
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets.update((client, upstream))
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()

    def _pipe(self, client: socket.socket, upstream: socket.socket) -> None:
        peers = {client: upstream, upstream: client}
        with selectors.DefaultSelector() as selector:
            for sock in peers:
                selector.register(sock, selectors.EVENT_READ)
            try:
                while True:
                    for key, _ in selector.select():
                        data = key.fileobj.recv(65536)
                        if not data:
                            return
                        peers[key.fileobj].sendall(data)
                        marker = self._cut_marker
                        if marker is not None and key.fileobj is client and marker in data:
                            self._cut_marker = None
                            self.cut()
                            self.cut_done.set()
                            return
            except OSError:
                return
            finally:
                self._close(client, upstream)

    def _close(self, *sockets: socket.socket) -> None:
        with self._lock:
            for sock in sockets:
                self._sockets.discard(sock)
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def cut(self) -> None:
        # shutdown() wakes the thread blocked in accept(); close() alone would not.
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            open_sockets = list(self._sockets)
        self._close(*open_sockets)

    def cut_after(self, marker: bytes) -> None:
        self.cut_done.clear()
        self._cut_marker = marker

    def restore(self) -> None:
        self._listener = self._listen(self.port)
        self._start_accepting()


if __name__ == "__main__":
    # `python -m tests.e2e.tcp_proxy HOST PORT TARGET_HOST TARGET_PORT`: forward until
    # killed (tests/e2e/blackhole.py runs one inside a network namespace).
    import sys

    listen_host, listen_port, target_host, target_port = sys.argv[1:5]
    TcpProxy((target_host, int(target_port)), host=listen_host, port=int(listen_port))
    threading.Event().wait()
