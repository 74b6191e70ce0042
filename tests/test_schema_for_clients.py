"""The OpenAPI schema says exactly what clients get, so generated clients work unchanged:
JSON request bodies only, response fields that are always there are `required`, the
response headers clients read are declared, and enum values have readable names."""

from http import HTTPStatus

import pytest

pytestmark = pytest.mark.django_db

TASK_FIELDS = {
    "id",
    "user_id",
    "title",
    "description",
    "completed",
    "priority",
    "tags",
    "due_at",
    "recurrence",
    "time_zone",
    "repeat_from",
    "remind_at",
    "completed_at",
    "created_at",
    "updated_at",
}


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema", {"format": "json"})
    assert response.status_code == HTTPStatus.OK
    return response.json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def headers_of(schema, path, method, status):
    return set(schema["paths"][path][method]["responses"][status].get("headers", {}))


def test_request_bodies_are_json_only(schema):
    bodies = {
        (path, method): set(operation["requestBody"]["content"])
        for path, method, operation in operations(schema)
        if "requestBody" in operation
    }

    assert ("/api/{user_id}/tasks", "post") in bodies
    assert all(media == {"application/json"} for media in bodies.values()), bodies


def test_every_task_field_is_required_in_the_task_response(schema):
    task = schema["components"]["schemas"]["Task"]

    assert set(task["required"]) == TASK_FIELDS
    assert task["properties"]["description"]["nullable"] is True


def test_response_components_require_every_field_but_the_validation_errors_own_list(schema):
    components = schema["components"]["schemas"]

    for name in ("TagCount", "ClearCompleted", "Sync", "TokenPair", "AccessToken", "Error"):
        assert set(components[name]["required"]) == set(components[name]["properties"]), name
    assert components["ValidationError"]["required"] == ["detail"]
    # Request bodies keep their own rules: a partial update requires nothing.
    assert "required" not in components["PatchedTaskRequest"]


@pytest.mark.parametrize(
    ("path", "method", "status"),
    [
        ("/api/{user_id}/tasks", "post", "201"),
        ("/api/{user_id}/tasks/{task_id}", "get", "200"),
        ("/api/{user_id}/tasks/{task_id}", "get", "304"),
        ("/api/{user_id}/tasks/{task_id}", "put", "200"),
        ("/api/{user_id}/tasks/{task_id}", "patch", "200"),
        ("/api/{user_id}/tasks/{task_id}/complete", "patch", "200"),
    ],
)
def test_task_responses_declare_their_etag(schema, path, method, status):
    assert "ETag" in headers_of(schema, path, method, status)


def test_the_list_declares_its_link_header_and_creation_its_replay_header(schema):
    assert "Link" in headers_of(schema, "/api/{user_id}/tasks", "get", "200")
    assert "Idempotent-Replayed" in headers_of(schema, "/api/{user_id}/tasks", "post", "201")
    assert "Idempotent-Replayed" in headers_of(schema, "/api/{user_id}/tasks/clear-completed", "post", "200")


def test_throttled_and_unavailable_responses_declare_retry_after(schema):
    for path, method, _operation in operations(schema):
        if path.startswith("/api/") and path != "/api/schema":
            for status in ("429", "503"):
                assert "Retry-After" in headers_of(schema, path, method, status), (path, method, status)


def test_every_response_declares_the_request_id(schema):
    for path, method, operation in operations(schema):
        for status, response in operation["responses"].items():
            assert "X-Request-ID" in response.get("headers", {}), (path, method, status)


def test_descending_orderings_have_readable_enum_names(schema):
    (ordering,) = [
        parameter
        for parameter in schema["paths"]["/api/{user_id}/tasks"]["get"]["parameters"]
        if parameter["name"] == "ordering"
    ]
    names = dict(zip(ordering["schema"]["enum"], ordering["schema"]["x-enum-varnames"], strict=True))

    assert names["-created_at"] == "created_at_desc"
    assert names["title"] == "title"
    assert len(set(names.values())) == len(names)


def test_the_complete_pages_get_is_documented_with_its_one_field(schema):
    get = schema["paths"]["/api/{user_id}/tasks/{task_id}/complete"]["get"]

    assert get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Completion")
    assert schema["components"]["schemas"]["Completion"]["required"] == ["completed"]
