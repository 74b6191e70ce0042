"""A hung dependency: a socket that accepts every connection and never answers."""

from __future__ import annotations

import contextlib
import socket
import threading


class SilentServer:
    """Listens on a free port, holds every connection it accepts (counted) open, and
    never reads or writes: what a hung Redis or identity provider looks like."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            self.connections.append(client)

    def close(self) -> None:
        self._listener.close()
        for client in self.connections:
            with contextlib.suppress(OSError):
                client.close()
