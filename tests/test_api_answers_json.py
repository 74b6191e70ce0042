"""Everything under /api/ answers JSON with `detail`, with DEBUG on or off, and every
/api/ path answers with or without a trailing slash, never by a redirect."""

from http import HTTPStatus

import pytest
from django.contrib.admindocs.views import extract_views_from_urlpatterns, simplify_regex
from django.urls import get_resolver

from tasks.data import task_sql
from tasks.models import Task

pytestmark = pytest.mark.django_db


def api_paths() -> list[str]:
    """Every route under /api/, as a path without a trailing slash, e.g. `/api/<user_id>/tags`."""
    paths = {
        simplify_regex(pattern).rstrip("/")
        for _view, pattern, _namespace, _name in extract_views_from_urlpatterns(get_resolver().url_patterns)
    }
    return sorted(path for path in paths if path.startswith("/api/"))


def concrete(path: str, task_id) -> str:
    return path.replace("<str:user_id>", "me").replace("<user_id>", "me").replace("<task_id>", str(task_id))


@pytest.mark.parametrize("debug", [True, False], ids=["debug-on", "debug-off"])
@pytest.mark.parametrize("path", ["/api/nope", "/api/me/tasks/1/2/3", "/api/me/nothing-here/"])
def test_an_unknown_api_path_is_a_json_404(settings, alice_client, debug, path):
    settings.DEBUG = debug

    response = alice_client.get(path, HTTP_ACCEPT="text/html")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize("debug", [True, False], ids=["debug-on", "debug-off"])
def test_a_crash_under_api_is_a_json_500(settings, alice_client, monkeypatch, debug):
    settings.DEBUG = debug
    alice_client.raise_request_exception = False

    def crash(*args, **kwargs):
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr(Task.objects, "for_owner", crash)
    monkeypatch.setattr(task_sql, "first_page", crash)  # the plain list's own statement
    response = alice_client.get("/api/me/tasks")

    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Server error."}
    assert "disk" not in response.content.decode()


def test_a_wrong_method_is_a_json_405_that_says_what_is_allowed(settings, alice_client):
    settings.DEBUG = True

    response = alice_client.put("/api/me/tags")

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert response.json()["detail"]
    assert "GET" in response["Allow"]


def test_pages_outside_api_keep_djangos_debug_page(settings, client):
    settings.DEBUG = True

    response = client.get("/admin-nope")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response["Content-Type"].startswith("text/html")


def test_the_walk_finds_every_api_route():
    paths = api_paths()

    for expected in ("/api/auth/token", "/api/auth/token/refresh", "/api/<user_id>/tags", "/api/schema"):
        assert expected in paths
    assert any("<task_id>/complete" in path for path in paths)


@pytest.mark.parametrize("path", api_paths())
def test_every_api_path_answers_the_same_with_a_trailing_slash(alice_client, make_task, alice, path):
    task = make_task(alice)
    url = concrete(path, task.pk)
    if "<webhook_id>" in url:
        hook = alice_client.post(
            "/api/me/webhooks", {"url": "https://hooks.example.com/", "events": ["task.created"]}
        )
        url = url.replace("<webhook_id>", str(hook.json()["id"]))

    without_slash = alice_client.get(url)
    with_slash = alice_client.get(url + "/")

    assert without_slash.status_code not in (HTTPStatus.NOT_FOUND, HTTPStatus.MOVED_PERMANENTLY), url
    assert with_slash.status_code == without_slash.status_code, url
    assert with_slash.get("Location") is None


@pytest.mark.parametrize("value", ["null", "xml", ""])
def test_an_unknown_format_parameter_is_ignored_like_any_unknown_parameter(alice_client, anon_client, value):
    answered = alice_client.get("/api/me/tasks", {"format": value})
    refused = anon_client.get("/api/me/tasks", {"format": value})

    assert answered.status_code == HTTPStatus.OK
    assert answered["Content-Type"] == "application/json"
    assert refused.status_code == HTTPStatus.UNAUTHORIZED


def test_the_format_parameter_still_picks_a_known_format(anon_client):
    response = anon_client.get("/api/schema", {"format": "json"})

    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
