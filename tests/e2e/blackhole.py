"""A network link to PostgreSQL that can be blackholed: packets vanish, nothing is
refused or reset, as when a route or a firewall drops them. A TCP proxy only stops
forwarding (its kernel still acknowledges every byte), so this is made with the kernel:

    server --> NS_IP:port (a forwarder in a network namespace of its own)
           --> veth pair --> HOST_IP:port (a TcpProxy in the test) --> PostgreSQL

`blackhole()` takes the namespace's end of the veth pair down: the server's packets to
NS_IP are dropped silently. `restore()` brings it back. Needs root (CAP_NET_ADMIN and
CAP_SYS_ADMIN) and `ip`, `unshare`, `nsenter`; `available()` says whether this machine
allows it. Everything lives in the forwarder's namespace, which the kernel removes, veth
pair included, when the forwarder exits.
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import sys
import time

from tests.e2e.servers import PROJECT_DIR
from tests.e2e.tcp_proxy import TcpProxy


def _run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=10)


def available() -> bool:
    if os.geteuid() != 0 or not all(shutil.which(tool) for tool in ("ip", "unshare", "nsenter")):
        return False
    probe = subprocess.run(
        ["unshare", "-n", "ip", "link", "add", "probe0", "type", "veth", "peer", "name", "probe1"],
        capture_output=True,
        timeout=10,
    )
    return probe.returncode == 0


class BlackholeLink:
    """A link to `target` through a veth pair, for one test: connect to `address`."""

    def __init__(self, target: tuple[str, int], port: int = 5432) -> None:
        subnet = f"10.{random.randint(100, 250)}.{random.randint(0, 255)}"
        self.host_ip, self.ns_ip = f"{subnet}.1", f"{subnet}.2"
        tag = f"{os.getpid() % 10000}{random.randint(0, 999)}"
        self.host_end, self.ns_end = f"bhh{tag}", f"bhn{tag}"
        self.address = (self.ns_ip, port)
        self.upstream: TcpProxy | None = None
        # The forwarder reads its upstream port on stdin, once its namespace is wired.
        self.forwarder = subprocess.Popen(
            ["unshare", "-n", "--", "sh", "-c", 'read upstream && exec "$@" "$upstream"', "forwarder"]
            + [sys.executable, "-m", "tests.e2e.tcp_proxy", self.ns_ip, str(port), self.host_ip],
            cwd=PROJECT_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            self._wire(target)
        except BaseException:
            self.close()
            raise

    def _in_ns(self, *command: str) -> None:
        _run("nsenter", "-t", str(self.forwarder.pid), "-n", *command)

    def _wire(self, target: tuple[str, int]) -> None:
        own = os.readlink("/proc/self/ns/net")
        deadline = time.monotonic() + 10
        while os.readlink(f"/proc/{self.forwarder.pid}/ns/net") == own:
            assert time.monotonic() < deadline, "the forwarder's namespace was not made"
            time.sleep(0.02)
        _run("ip", "link", "add", self.host_end, "type", "veth", "peer", "name", self.ns_end)
        _run("ip", "link", "set", self.ns_end, "netns", str(self.forwarder.pid))
        _run("ip", "addr", "add", f"{self.host_ip}/30", "dev", self.host_end)
        _run("ip", "link", "set", self.host_end, "up")
        self._in_ns("ip", "addr", "add", f"{self.ns_ip}/30", "dev", self.ns_end)
        self._in_ns("ip", "link", "set", self.ns_end, "up")
        self._in_ns("ip", "link", "set", "lo", "up")
        # The host's end of the chain: from the veth's address on to PostgreSQL.
        self.upstream = TcpProxy(target, host=self.host_ip)
        self.forwarder.stdin.write(f"{self.upstream.port}\n".encode())
        self.forwarder.stdin.close()
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(self.address, timeout=1).close()
                return
            except OSError:
                assert time.monotonic() < deadline, "the forwarder did not start"
                time.sleep(0.05)

    def blackhole(self) -> None:
        self._in_ns("ip", "link", "set", self.ns_end, "down")

    def restore(self) -> None:
        self._in_ns("ip", "link", "set", self.ns_end, "up")

    def close(self) -> None:
        # The namespace, and the veth pair with it, goes when its last process does.
        self.forwarder.kill()
        self.forwarder.wait(timeout=10)
        if self.upstream is not None:
            self.upstream.cut()
