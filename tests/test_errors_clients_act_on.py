"""Errors that a client can act on without reading the docs: a wrong choice lists the
valid ones, a refused bearer token says `invalid_token` (RFC 6750) so the client
refreshes it, and the schema declares no defaults that a generated client would send."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from tests.conftest import bearer_client, tasks_url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("parameter", "values"),
    [
        ("priority", "none, low, medium, high"),
        ("status", "all, pending, completed"),
        ("sort", "created, title, due_date"),
        ("order", "asc, desc"),
    ],
)
def test_a_wrong_choice_in_the_query_lists_the_valid_ones(alice_client, parameter, values):
    response = alice_client.get(tasks_url(), {parameter: "urgent"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"][parameter] == [f"Unknown value 'urgent'; use one of {values}."]


def test_a_wrong_priority_in_a_body_lists_the_valid_ones(alice_client):
    response = alice_client.post(tasks_url(), {"title": "x", "priority": "urgent"}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"]["priority"] == [
        '"urgent" is not a valid choice; use one of none, low, medium, high.'
    ]


def test_a_request_without_a_token_gets_a_bare_bearer_challenge(anon_client):
    response = anon_client.get(tasks_url())

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize("token", ["expired", "tampered", "garbage"])
def test_a_refused_token_says_invalid_token(alice, token):
    access = AccessToken.for_user(alice)
    if token == "expired":
        access.set_exp(lifetime=-timedelta(seconds=1))
    text = {"expired": str(access), "tampered": str(access)[:-2] + "xx", "garbage": "not.a.jwt"}[token]

    response = bearer_client(text).get(tasks_url())

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'


def test_the_list_parameters_declare_no_default_a_client_would_send():
    schema = APIClient().get("/api/schema", {"format": "json"}).json()
    parameters = {item["name"]: item for item in schema["paths"]["/api/{user_id}/tasks"]["get"]["parameters"]}

    for name in ("limit", "ordering"):
        assert "default" not in parameters[name]["schema"], name
    assert "100 when left out" in parameters["limit"]["description"]
    assert "`-created_at` (newest first) when left out" in parameters["ordering"]["description"]
