"""Where a webhook may be sent: never to a private, loopback, link-local or otherwise
internal address (unless WEBHOOK_ALLOW_PRIVATE=1), checked on the addresses the name
resolves to, at every attempt, and the request then goes to the checked address itself,
so a DNS answer that changes in between (rebinding) cannot redirect it."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings


class TargetRefused(Exception):
    """The URL is malformed, does not resolve, or points inside the network."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written in the URL: the Host header and TLS name
    address: str  # the checked IP address to connect to
    port: int
    path: str  # path and query


def check_url_shape(url: str) -> None:
    """The checks that need no DNS (also run when a subscription is created)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused("The URL must be http(s)://host/...")
    if parts.username or parts.password:
        raise TargetRefused("The URL must not carry credentials.")
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise TargetRefused("The URL's port is not valid.") from None
    if not settings.WEBHOOK_ALLOW_PRIVATE:
        with contextlib.suppress(ValueError):  # a name: checked on its addresses when sending
            _refuse_internal(ipaddress.ip_address(parts.hostname))


def resolve(url: str) -> Target:
    """The URL with an address it may be sent to (resolves the name: a DNS query)."""
    check_url_shape(url)
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise TargetRefused(f"The host does not resolve: {error}") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not addresses:
        raise TargetRefused("The host does not resolve.")
    if not settings.WEBHOOK_ALLOW_PRIVATE:
        for address in addresses:  # every one: the client could pick any
            _refuse_internal(address)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, parts.hostname, str(addresses[0]), port, path)


def _refuse_internal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if not address.is_global or address.is_multicast:
        raise TargetRefused(f"The address {address} is private, loopback, link-local or reserved.")
