"""Fixtures for the end-to-end tests: real HTTP against pytest-django's `live_server`,
and one headless Chromium for the whole browser file."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path

import pytest
import requests

CHROMIUM = os.environ.get("CHROMIUM_BIN") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = os.environ.get("CHROMEDRIVER_BIN") or shutil.which("chromedriver") or "/usr/bin/chromedriver"
SCREENSHOT_DIR = Path(os.environ.get("E2E_SCREENSHOT_DIR", "/tmp/e2e-shots"))
# This machine is offline: without the networking switches Chromium hangs at start.
CHROMIUM_SWITCHES = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1000",
]


def browser_required() -> bool:
    """CI sets REQUIRE_BROWSER=1: a missing browser is then a failure, not a skip."""
    return os.environ.get("REQUIRE_BROWSER") == "1"


def skip_or_fail(reason: str) -> None:
    if browser_required():
        pytest.fail(f"{reason} (REQUIRE_BROWSER=1)", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


class LiveHttp(requests.Session):
    """A `requests` session bound to the live server that never follows a redirect,
    and fails the test on any 3xx: the API's paths must answer directly."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url

    def request(self, method, url, *args, **kwargs):
        kwargs["allow_redirects"] = False
        kwargs.setdefault("timeout", 10)
        response = super().request(method, self.base_url + url, *args, **kwargs)
        assert not response.is_redirect and not 300 <= response.status_code < 400, (
            f"{method} {url} redirected ({response.status_code}) to {response.headers.get('Location')}"
        )
        return response

    def as_bearer(self, token: str) -> LiveHttp:
        self.headers["Authorization"] = f"Bearer {token}"
        return self


@pytest.fixture
def http(live_server) -> Iterator[LiveHttp]:
    with LiveHttp(live_server.url) as session:
        yield session


def obtain_token(http: LiveHttp, username: str, password: str) -> str:
    response = http.post("/api/auth/token", json={"username": username, "password": password})
    assert response.status_code == HTTPStatus.OK, response.text
    return response.json()["access"]


@pytest.fixture
def alice_http(live_server, alice) -> Iterator[LiveHttp]:
    """Alice over HTTP, with a token she obtained the way a client does."""
    with LiveHttp(live_server.url) as session:
        yield session.as_bearer(obtain_token(session, "alice", "alice-pass-123!"))


@pytest.fixture
def bob_http(live_server, bob) -> Iterator[LiveHttp]:
    with LiveHttp(live_server.url) as session:
        yield session.as_bearer(obtain_token(session, "bob", "bob-pass-123!"))


@pytest.fixture(scope="module")
def driver():
    """One headless Chromium for the module; skipped (or failed under REQUIRE_BROWSER=1)
    when the browser or its driver is missing."""
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
            skip_or_fail(f"{binary} is not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for switch in CHROMIUM_SWITCHES:
        options.add_argument(switch)
    # Every request the pages make, for the tests that check none leaves this server.
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    with tempfile.TemporaryDirectory(prefix="e2e-chromium-") as profile:
        options.add_argument(f"--user-data-dir={profile}")
        # An explicit driver path: Selenium Manager would try to download one.
        browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        browser.set_page_load_timeout(20)
        try:
            yield browser
        finally:
            browser.quit()


@pytest.fixture
def screenshot(driver):
    """`screenshot("admin-1-logged-in")` saves the page as /tmp/e2e-shots/admin-1-logged-in.png
    (outside the repository), for a human to check that the pages render."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)

    def save(step: str) -> Path:
        path = SCREENSHOT_DIR / f"{step}.png"
        driver.save_screenshot(str(path))
        return path

    return save
