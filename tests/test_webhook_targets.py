"""Webhooks never reach inside the network: private, loopback, link-local and reserved
addresses are refused after resolving the name, unless WEBHOOK_ALLOW_PRIVATE=1."""

from __future__ import annotations

import socket

import pytest

from events.targets import TargetRefused, check_url_shape, resolve


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8000/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",  # the cloud metadata service
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "http://[fe80::1]/hook",
    ],
)
def test_internal_targets_are_refused(url, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False

    with pytest.raises(TargetRefused):
        resolve(url)


def test_a_name_is_judged_by_every_address_it_resolves_to(settings, monkeypatch):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    answers = [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, 443))
        for address in ("93.184.215.14", "10.0.0.7")
    ]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: answers)

    with pytest.raises(TargetRefused, match="10.0.0.7"):
        resolve("https://hooks.example.com/in")


def test_a_public_name_resolves_to_the_address_that_is_then_used(settings, monkeypatch):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    answers = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 8443))]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: answers)

    target = resolve("https://hooks.example.com:8443/in?x=1")

    assert (target.address, target.host, target.port, target.path) == (
        "93.184.215.14",
        "hooks.example.com",
        8443,
        "/in?x=1",
    )


def test_the_switch_allows_local_receivers(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True

    assert resolve("http://127.0.0.1:9/hook").address == "127.0.0.1"


@pytest.mark.parametrize(
    "url", ["ftp://example.com/", "http:///nohost", "http://user:pw@example.com/", "javascript:x"]
)
def test_malformed_urls_are_refused(url):
    with pytest.raises(TargetRefused):
        check_url_shape(url)
