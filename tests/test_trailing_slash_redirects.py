"""Pages a person types into a browser redirect to their trailing slash, as Django's do by
default; the API's paths never redirect (they answer with or without the slash)."""

from http import HTTPStatus

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ("/admin", "/admin/"),
        ("/api-auth/login", "/api-auth/login/"),
        ("/api-auth/login?next=/api/me/tasks", "/api-auth/login/?next=/api/me/tasks"),
    ],
)
def test_a_page_without_its_slash_redirects_to_it(client, path, target):
    response = client.get(path)

    assert response.status_code == HTTPStatus.MOVED_PERMANENTLY
    assert response["Location"] == target


@pytest.mark.parametrize("path", ["/api", "/api/me/nothing", "/api/me/tasks/clear", "/api/auth", "/mcp/x"])
def test_an_unknown_api_path_is_a_json_404_never_a_redirect(alice_client, path):
    response = alice_client.get(path)

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert "Location" not in response


def test_api_paths_answer_without_the_slash(alice_client):
    created = alice_client.post("/api/me/tasks", {"title": "x"}, format="json")
    listed = alice_client.get("/api/me/tasks")

    assert (created.status_code, listed.status_code) == (HTTPStatus.CREATED, HTTPStatus.OK)
    assert "Location" not in created and "Location" not in listed
