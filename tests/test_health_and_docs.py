"""Probes, the OpenAPI schema and its two viewers (offline), and JSON for unknown paths."""

import json
import re
from http import HTTPStatus

import pytest
from django.contrib.staticfiles import finders
from django.db import DatabaseError
from django.db.migrations.executor import MigrationExecutor
from drf_spectacular.validation import validate_schema

from config import health

pytestmark = pytest.mark.django_db

SEED_OPERATIONS = {
    "/api/{user_id}/tasks": {"get", "post"},
    "/api/{user_id}/tasks/{task_id}": {"get", "put", "delete"},
    "/api/{user_id}/tasks/{task_id}/complete": {"patch"},
}
TASK_OPERATIONS = [
    ("/api/{user_id}/tasks/{task_id}", "get"),
    ("/api/{user_id}/tasks/{task_id}", "put"),
    ("/api/{user_id}/tasks/{task_id}", "patch"),
    ("/api/{user_id}/tasks/{task_id}", "delete"),
    ("/api/{user_id}/tasks/{task_id}/complete", "patch"),
]
ASSET_URL = re.compile(r"""<(?:script|link)\b[^>]*?\b(?:src|href)=["']([^"']+)["']""")


@pytest.fixture
def schema(anon_client) -> dict:
    response = anon_client.get("/api/schema", {"format": "json"})
    assert response.status_code == HTTPStatus.OK
    return response.json()


def test_healthz_answers_ok_without_credentials(anon_client):
    response = anon_client.get("/healthz")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"status": "ok"}


def test_readyz_answers_ok_when_every_migration_is_applied(anon_client):
    response = anon_client.get("/readyz")

    assert response.status_code == HTTPStatus.OK
    assert response.json()["status"] == "ok"


@pytest.fixture
def migrations_not_yet_seen(monkeypatch):
    """A process that has not yet found every migration applied (it remembers once it has)."""
    monkeypatch.setattr(health, "_migrations_applied", False)


def test_readyz_is_unavailable_while_a_migration_is_pending(
    anon_client, monkeypatch, migrations_not_yet_seen
):
    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [("tasks", "9999")])

    response = anon_client.get("/readyz")

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert "migration" in response.json()["detail"]


def test_readyz_is_unavailable_when_the_database_is_unreachable(
    anon_client, monkeypatch, migrations_not_yet_seen
):
    def unreachable(self, targets):
        raise DatabaseError("connection refused")

    monkeypatch.setattr(MigrationExecutor, "migration_plan", unreachable)

    assert anon_client.get("/readyz").status_code == HTTPStatus.SERVICE_UNAVAILABLE


def test_the_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)


def test_the_schema_documents_the_seeds_paths_without_a_trailing_slash(schema):
    for path, methods in SEED_OPERATIONS.items():
        assert methods <= schema["paths"][path].keys(), path
    assert "get" in schema["paths"]["/api/{user_id}/tags"]
    assert "post" in schema["paths"]["/api/{user_id}/tasks/clear-completed"]
    assert "post" in schema["paths"]["/api/auth/token"]
    assert "post" in schema["paths"]["/api/auth/token/refresh"]
    assert not [path for path in schema["paths"] if path.endswith("/")]


def test_the_schema_declares_the_bearer_scheme_and_task_operations_require_it(schema):
    schemes = schema["components"]["securitySchemes"]
    bearer = [
        name for name, scheme in schemes.items() if scheme == scheme | {"type": "http", "scheme": "bearer"}
    ]

    assert bearer
    for path, method in TASK_OPERATIONS:
        assert {bearer[0]: []} in schema["paths"][path][method]["security"], (path, method)


@pytest.mark.parametrize(
    ("path", "method"), TASK_OPERATIONS, ids=[f"{method} {path}" for path, method in TASK_OPERATIONS]
)
def test_task_operations_document_their_error_responses(schema, path, method):
    responses = schema["paths"][path][method]["responses"]

    assert {"401", "403", "404", "429"} <= responses.keys()
    for code in ("401", "403", "404", "429"):
        assert responses[code]["description"]
        body = responses[code]["content"]["application/json"]["schema"]
        component = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
        assert "detail" in component["required"]


@pytest.mark.parametrize("url", ["/api/docs", "/api/redoc"])
def test_the_docs_pages_load_every_asset_from_this_server(anon_client, url):
    response = anon_client.get(url)

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assets = ASSET_URL.findall(html)
    assert any(asset.endswith(".js") for asset in assets)
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is not bundled"
    assert not re.search(r"""(?:src|href)=["'](?:https?:)?//""", html)


def test_an_unknown_path_gets_a_json_404_when_debug_is_off(settings, anon_client):
    settings.DEBUG = False

    response = anon_client.get("/nope")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


@pytest.fixture
def production_static_storage(settings, tmp_path):
    """The production storage (hashed names from a manifest), collecting into tmp_path."""
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    return tmp_path


def test_readyz_is_unavailable_in_production_until_static_files_are_collected(
    anon_client, production_static_storage
):
    response = anon_client.get("/readyz")

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert "collectstatic" in response.json()["detail"]


def test_readyz_is_ok_once_the_static_manifest_is_there(anon_client, production_static_storage):
    manifest = {"version": "1.1", "hash": "0", "paths": {"admin/css/base.css": "admin/css/base.0.css"}}
    (production_static_storage / "staticfiles.json").write_text(json.dumps(manifest))

    response = anon_client.get("/readyz")

    assert response.status_code == HTTPStatus.OK


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")

    assert response.status_code == HTTPStatus.OK
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body.startswith(b"\x00\x00\x01\x00")  # an ICO file


@pytest.mark.parametrize("url", ["/api/docs", "/api/redoc"])
def test_the_docs_pages_allow_requests_to_this_server_only(anon_client, url):
    policy = anon_client.get(url)["Content-Security-Policy"]

    directives = dict(directive.strip().split(" ", 1) for directive in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["img-src"] == "'self' data:"
    assert "http" not in policy
