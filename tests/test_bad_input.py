"""Bad input of every kind SPEC section 5 lists gets a clear 4xx with a `detail`, never a
5xx, and writes nothing: no row is added, and the task that a write names is unchanged.

Each body is sent, byte for byte, to every write that takes one (create, PUT, PATCH and
complete). The same file runs on SQLite and on PostgreSQL, where NUL characters and
out-of-range dates would fail in the database if they ever got that far.
"""

from __future__ import annotations

import json
import re
from http import HTTPStatus
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from django.conf import settings
from django.core import signing

from tasks.data.task_list import CURSOR_SALT
from tasks.models import Tag, Task
from tests.conftest import bearer_client, set_tags, tasks_url

pytestmark = pytest.mark.django_db

MAX_BODY = settings.DATA_UPLOAD_MAX_MEMORY_SIZE


# --- fixtures and helpers ------------------------------------------------------------


@pytest.fixture
def task(alice, make_task) -> Task:
    """The task that every PUT, PATCH and complete below aims at."""
    task = make_task(alice, title="Water the plants", description="Twice a week")
    set_tags(task, ["home", "garden"])
    return task


def snapshot(task: Task) -> dict:
    """Everything a bad request must leave as it was."""
    fresh = Task.objects.get(pk=task.pk)
    return {
        "tasks": Task.objects.count(),
        "tags": Tag.objects.count(),
        "links": Task.tags.through.objects.count(),
        "task": {
            field.attname: getattr(fresh, field.attname)
            for field in Task._meta.concrete_fields
            if field.attname != "id"
        },
        "task_tags": sorted(tag.name for tag in fresh.tags.all()),
    }


@pytest.fixture
def unchanged(task):
    """`unchanged()` asserts that nothing in the database moved since the test began."""
    before = snapshot(task)

    def check() -> None:
        assert snapshot(task) == before

    return check


# Every write that takes a body, as (method, url) built from the task.
WRITES = {
    "create": ("post", lambda task: tasks_url()),
    "put": ("put", lambda task: tasks_url("me", task.pk)),
    "patch": ("patch", lambda task: tasks_url("me", task.pk)),
    "complete": ("patch", lambda task: tasks_url("me", task.pk, "/complete")),
}
# Writes whose body is a task (complete takes only `completed`).
TASK_WRITES = ["create", "put", "patch"]


def send(client, task, write: str, body: bytes | str, content_type: str = "application/json"):
    method, url = WRITES[write]
    if isinstance(body, str):
        body = body.encode()
    return client.generic(method.upper(), url(task), body, content_type=content_type)


def send_json(client, task, write: str, data):
    return send(client, task, write, json.dumps(data))


def assert_refused(response, status: int = HTTPStatus.BAD_REQUEST, *, naming: str | None = None) -> dict:
    """A 4xx with a JSON body whose `detail` is a non-empty sentence (and, for a
    validation error, names the field)."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"].strip(), body
    if naming is not None:
        assert naming in body["errors"], body
        assert naming in body["detail"], body
    return body


def base_body(write: str) -> dict:
    """A valid body for the write, to which a test adds one bad field."""
    return {"completed": True} if write == "complete" else {"title": "Still valid"}


# --- malformed JSON --------------------------------------------------------------------

MALFORMED_JSON = [
    '{"title": "x",',  # cut short
    "{title: 'x'}",  # JavaScript, not JSON
    '{"title": "x"} trailing',
    '{"title": "x",}',  # trailing comma
    '{"title": NaN}',
    '{"title": Infinity}',
    '{"title": "x" "description": "y"}',
    "\x00",
    "\ufeff{}",  # a byte order mark
    '{"title": "\x01raw control character"}',
    "{" * 10,
]


@pytest.mark.parametrize("write", list(WRITES))
@pytest.mark.parametrize("body", MALFORMED_JSON)
def test_malformed_json_is_a_400(alice_client, task, unchanged, write, body):
    detail = assert_refused(send(alice_client, task, write, body))["detail"]

    assert "JSON" in detail
    unchanged()


# --- wrong types ---------------------------------------------------------------------

WRONG_TYPES = [
    ("title", 5),
    ("title", 1.5),
    ("title", True),
    ("title", ["a list"]),
    ("title", {"an": "object"}),
    ("description", 5),
    ("description", ["a list"]),
    ("completed", "yes"),
    ("completed", 0),
    ("completed", 1),
    ("completed", "true"),
    ("completed", None),
    ("completed", []),
    ("priority", 2),
    ("priority", ["high"]),
    ("priority", {"level": "high"}),
    ("priority", None),
    ("due_at", 1767225600),
    ("due_at", True),
    ("due_at", ["2026-01-01T00:00:00Z"]),
    ("tags", [1, 2]),
    ("tags", [None]),
    ("tags", [["nested"]]),
    ("tags", [{"name": "x"}]),
]


@pytest.mark.parametrize("write", TASK_WRITES)
@pytest.mark.parametrize(("field", "value"), WRONG_TYPES)
def test_a_field_of_the_wrong_type_is_a_400_naming_it(alice_client, task, unchanged, write, field, value):
    response = send_json(alice_client, task, write, {**base_body(write), field: value})

    body = assert_refused(response)
    assert any(key == field or key.startswith(f"{field}.") for key in body["errors"]), body
    unchanged()


@pytest.mark.parametrize("value", ["yes", 0, 1, "true", None, [], {"x": 1}])
def test_complete_with_a_completed_of_the_wrong_type_is_a_400(alice_client, task, unchanged, value):
    assert_refused(send_json(alice_client, task, "complete", {"completed": value}), naming="completed")
    unchanged()


# --- unknown enum values -----------------------------------------------------------------


@pytest.mark.parametrize("write", TASK_WRITES)
@pytest.mark.parametrize("priority", ["urgent", "HIGH", "High", " high", "", "0", "3"])
def test_an_unknown_priority_is_a_400(alice_client, task, unchanged, write, priority):
    response = send_json(alice_client, task, write, {**base_body(write), "priority": priority})

    assert_refused(response, naming="priority")
    unchanged()


@pytest.mark.parametrize(
    ("param", "value"),
    [("priority", "urgent"), ("priority", "HIGH"), ("ordering", "color"), ("ordering", "--title")],
)
def test_an_unknown_enum_value_in_the_query_is_a_400(alice_client, task, param, value):
    assert_refused(alice_client.get(tasks_url(), {param: value}), naming=param)


# --- NUL characters ----------------------------------------------------------------------

NUL_FIELDS = [
    ("title", "nul\x00byte"),
    ("title", "\x00"),
    ("description", "nul\x00byte"),
    ("tags", ["nul\x00byte"]),
    ("tags", ["fine", "\x00"]),
    ("due_at", "2026-01-01T00:00:00\x00Z"),
    ("priority", "high\x00"),
]


@pytest.mark.parametrize("write", TASK_WRITES)
@pytest.mark.parametrize(("field", "value"), NUL_FIELDS)
def test_a_nul_character_in_a_field_is_a_400(alice_client, task, unchanged, write, field, value):
    response = send_json(alice_client, task, write, {**base_body(write), field: value})

    body = assert_refused(response)
    assert any(key == field or key.startswith(f"{field}.") for key in body["errors"]), body
    unchanged()


@pytest.mark.parametrize("write", TASK_WRITES)
def test_a_nul_character_in_a_form_field_is_a_400(alice_client, task, unchanged, write):
    body = "title=nul%00byte&tags=a%00b"
    response = send(alice_client, task, write, body, "application/x-www-form-urlencoded")

    assert_refused(response)
    unchanged()


def test_a_nul_character_in_a_key_is_an_unknown_field(alice_client, task, unchanged):
    response = send_json(alice_client, task, "complete", {"comp\x00leted": True})

    assert_refused(response)
    unchanged()


@pytest.mark.parametrize(
    "param",
    ["search", "tag", "priority", "completed", "overdue", "due_before", "due_after", "updated_since"]
    + ["ordering", "limit", "cursor"],
)
def test_a_nul_character_in_a_list_parameter_is_a_400_naming_it(alice_client, task, param):
    assert_refused(alice_client.get(f"{tasks_url()}?{param}=a%00b"), naming=param)


def test_a_nul_character_in_the_sync_token_is_a_400(alice_client, task):
    assert_refused(alice_client.get(f"{tasks_url()}/sync?since=a%00b"), naming="since")


@pytest.mark.parametrize("path", ["%00", "a%00b", f"{'0' * 8}-0000-0000-0000-00000000000%00"])
def test_a_nul_character_in_the_task_id_is_a_404(alice_client, task, unchanged, path):
    for method in ("get", "put", "patch", "delete"):
        assert_refused(getattr(alice_client, method)(f"{tasks_url()}/{path}"), HTTPStatus.NOT_FOUND)
    assert_refused(alice_client.patch(f"{tasks_url()}/{path}/complete"), HTTPStatus.NOT_FOUND)
    unchanged()


def test_a_nul_character_in_the_user_id_is_a_403(alice_client, task):
    assert_refused(alice_client.get("/api/a%00b/tasks"), HTTPStatus.FORBIDDEN)


def test_a_nul_character_in_an_idempotency_key_is_a_400(alice_client, task, unchanged):
    response = alice_client.post(
        tasks_url(), {"title": "x"}, format="json", headers={"Idempotency-Key": "key\x00"}
    )

    assert_refused(response, naming="Idempotency-Key")
    unchanged()


def test_a_nul_character_in_the_login_is_a_400(client, alice):
    response = client.post(
        "/api/auth/token", {"username": "ali\x00ce", "password": "x\x00"}, content_type="application/json"
    )

    assert_refused(response)


def test_an_identity_provider_user_id_with_a_nul_character_is_a_401(external_token, task, unchanged):
    client = bearer_client(external_token("idp|nul\x00byte"))

    for response in (client.get(tasks_url()), client.post(tasks_url(), {"title": "x"}, format="json")):
        assert_refused(response, HTTPStatus.UNAUTHORIZED)
    unchanged()


# --- invalid Unicode ---------------------------------------------------------------------

INVALID_UNICODE = [
    b'{"title": "\\ud800"}',  # a lone high surrogate, escaped
    b'{"title": "\\udc00 low"}',  # a lone low surrogate
    b'{"title": "\\ud800\\u0041"}',  # a high surrogate not followed by a low one
    b'{"\\ud800": "key"}',
    b'{"title": "\xff\xfe"}',  # bytes that are never UTF-8
    b'{"title": "\xc3"}',  # a sequence cut short
    b'{"title": "\xed\xa0\x80"}',  # a surrogate encoded as UTF-8
    b'{"title": "\xc0\xaf"}',  # an overlong encoding
    b'{"title": "caf\xe9"}',  # Latin-1, not UTF-8
]


@pytest.mark.parametrize("write", list(WRITES))
@pytest.mark.parametrize("body", INVALID_UNICODE)
def test_invalid_unicode_in_a_json_body_is_a_400(alice_client, task, unchanged, write, body):
    assert_refused(send(alice_client, task, write, body))
    unchanged()


def test_a_valid_surrogate_pair_is_one_character(alice_client):
    response = alice_client.generic(
        "POST", tasks_url(), b'{"title": "\\ud83d\\ude00 done"}', content_type="application/json"
    )

    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["title"] == "\U0001f600 done"


@pytest.mark.parametrize("raw", ["%ff", "%ed%a0%80", "%c3"])
def test_invalid_utf8_in_the_query_string_is_never_a_server_error(alice_client, task, raw):
    # Django decodes a query string with replacement characters: a search for U+FFFD.
    response = alice_client.get(f"{tasks_url()}?search={raw}")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == []


# --- oversized bodies and fields ---------------------------------------------------------


@pytest.mark.parametrize("write", list(WRITES))
def test_a_body_over_the_size_limit_is_a_413(alice_client, task, unchanged, write):
    body = json.dumps({**base_body(write), "description": "x" * MAX_BODY})

    assert_refused(send(alice_client, task, write, body), HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
    unchanged()


@pytest.mark.parametrize("write", list(WRITES))
@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "multipart/form-data"])
def test_a_form_body_over_the_size_limit_is_refused(alice_client, task, unchanged, write, content_type):
    if content_type == "multipart/form-data":
        boundary = "BoUnDaRy"
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\n'
            f"{'x' * MAX_BODY}\r\n--{boundary}--\r\n"
        )
        content_type = f"{content_type}; boundary={boundary}"
    else:
        body = "title=" + "x" * MAX_BODY

    response = send(alice_client, task, write, body, content_type)

    assert_refused(response, HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
    unchanged()


@pytest.mark.parametrize("write", list(WRITES))
def test_a_form_with_too_many_fields_is_a_400(alice_client, task, unchanged, write):
    body = "&".join(f"f{i}=x" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))

    assert_refused(send(alice_client, task, write, body, "application/x-www-form-urlencoded"))
    unchanged()


def test_a_body_just_under_the_size_limit_is_read(alice_client, task):
    # The limit is on the body, not on a field: a big body whose description is too
    # long is a 400 about the description, not a 413.
    body = json.dumps({"title": "x", "description": "d" * (MAX_BODY - 100)})
    assert len(body) < MAX_BODY

    assert_refused(send(alice_client, task, "create", body), naming="description")


OVERSIZED_FIELDS = [
    ("title", "x" * 256),
    ("title", "\U0001f600" * 256),  # characters, not bytes, are counted
    ("description", "d" * 10_001),
    ("tags", [f"tag{i}" for i in range(21)]),
    ("tags", ["t" * 51]),
    ("tags", ["fine", "t" * 51]),
]


@pytest.mark.parametrize("write", TASK_WRITES)
@pytest.mark.parametrize(("field", "value"), OVERSIZED_FIELDS, ids=lambda value: str(value)[:20])
def test_an_oversized_field_is_a_400_naming_it(alice_client, task, unchanged, write, field, value):
    response = send_json(alice_client, task, write, {**base_body(write), field: value})

    body = assert_refused(response)
    assert any(key == field or key.startswith(f"{field}.") for key in body["errors"]), body
    unchanged()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "x" * 255),
        ("title", "\U0001f600" * 255),
        ("description", "d" * 10_000),
        ("tags", [f"tag{i}" for i in range(20)]),
        ("tags", ["t" * 50]),
    ],
    ids=["title-255", "title-255-emoji", "description-10000", "tags-20", "tag-50"],
)
def test_fields_at_their_limits_are_accepted(alice_client, field, value):
    response = alice_client.post(tasks_url(), {"title": "x", field: value}, format="json")

    assert response.status_code == HTTPStatus.CREATED, response.json()


# --- deeply nested JSON ------------------------------------------------------------------

DEEPLY_NESTED = [
    "[" * 100_000,
    "[" * 100_000 + "]" * 100_000,
    '{"a":' * 40_000 + "1" + "}" * 40_000,  # still under the size limit
    '{"title": "x", "tags": ' + "[" * 100_000 + "]" * 100_000 + "}",
    '{"title": "x", "tags": ' + "[" * 600 + "]" * 600 + "}",  # under the parser's limit
]


@pytest.mark.parametrize("write", list(WRITES))
@pytest.mark.parametrize("body", DEEPLY_NESTED, ids=lambda body: f"{body[:12]}...{len(body)}")
def test_deeply_nested_json_is_a_400(alice_client, task, unchanged, write, body):
    assert_refused(send(alice_client, task, write, body))
    unchanged()


# --- a body that is not an object --------------------------------------------------------


@pytest.mark.parametrize("write", list(WRITES))
@pytest.mark.parametrize("body", ['[{"title": "x"}]', "[]", '"title"', "5", "true", "null"])
def test_a_json_body_that_is_not_an_object_is_a_400(alice_client, task, unchanged, write, body):
    assert_refused(send(alice_client, task, write, body))
    unchanged()


@pytest.mark.parametrize("write", TASK_WRITES)
@pytest.mark.parametrize("tags", ["home", "", 5, {"home": 1}, None, True])
def test_tags_that_are_not_a_list_are_a_400(alice_client, task, unchanged, write, tags):
    response = send_json(alice_client, task, write, {**base_body(write), "tags": tags})

    assert_refused(response, naming="tags")
    unchanged()


# --- wrong content type ------------------------------------------------------------------


@pytest.mark.parametrize("write", list(WRITES))
@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/xml", "text/html", "application/octet-stream", "application/jsonx"],
)
def test_a_body_that_is_not_json_or_a_form_is_a_415(alice_client, task, unchanged, write, content_type):
    response = send(alice_client, task, write, '{"title": "x", "completed": true}', content_type)

    assert_refused(response, HTTPStatus.UNSUPPORTED_MEDIA_TYPE)
    unchanged()


# --- malformed task ids in the path ------------------------------------------------------

MALFORMED_TASK_IDS = [
    "not-a-uuid",
    "123",
    "7d2f2f62-2a40-4a36-9a6a-2f3f1c0c000",  # one digit short
    "7d2f2f62-2a40-4a36-9a6a-2f3f1c0c00011",  # one digit long
    "7d2f2f62-2a40-4a36-9a6a-2f3f1c0c000g",  # not hex
    quote("7d2f2f62-2a40-4a36-9a6a-2f3f1c0c0001 "),
    quote("é" * 40),
    "x" * 5_000,
]


@pytest.mark.parametrize("task_id", MALFORMED_TASK_IDS, ids=lambda value: value[:20])
def test_a_malformed_task_id_is_a_404(alice_client, task, unchanged, task_id):
    url = tasks_url("me", task_id)
    responses = [
        alice_client.get(url),
        alice_client.put(url, {"title": "x"}, format="json"),
        alice_client.patch(url, {"title": "x"}, format="json"),
        alice_client.delete(url),
        alice_client.patch(f"{url}/complete", {"completed": True}, format="json"),
    ]

    for response in responses:
        assert_refused(response, HTTPStatus.NOT_FOUND)
    unchanged()


# --- malformed or tampered cursors and sync tokens ---------------------------------------


def first_cursor(client) -> str:
    response = client.get(tasks_url(), {"limit": 1})
    url = re.fullmatch(r'<([^>]+)>; rel="next"', response.headers["Link"])[1]
    return parse_qs(urlsplit(url).query)["cursor"][0]


@pytest.fixture
def two_tasks(alice, make_task):
    return [make_task(alice, title=f"task {i}") for i in range(2)]


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "a" * 10_000,
        "eyJ9",  # base64 of a broken JSON object
        ":",
        signing.dumps(["-created_at", "x", "not-a-uuid"], salt=CURSOR_SALT),
        signing.dumps(
            ["-created_at", "not-a-date", "7d2f2f62-2a40-4a36-9a6a-2f3f1c0c0001"], salt=CURSOR_SALT
        ),
        signing.dumps({"a": 1}, salt=CURSOR_SALT),
        signing.dumps(["-created_at"], salt=CURSOR_SALT),
        signing.dumps(["-created_at", "2026-01-01T00:00:00Z", "7d2f2f62-2a40-4a36-9a6a-2f3f1c0c0001"]),
    ],
    ids=lambda value: value[:20],
)
def test_a_malformed_cursor_is_a_400_naming_it(alice_client, two_tasks, cursor):
    assert_refused(alice_client.get(tasks_url(), {"cursor": cursor}), naming="cursor")


def test_a_tampered_cursor_is_a_400_naming_it(alice_client, two_tasks):
    cursor = first_cursor(alice_client)
    payload, signature = cursor.rsplit(":", 1)
    flipped = ("B" if signature[0] == "A" else "A") + signature[1:]

    assert alice_client.get(tasks_url(), {"cursor": cursor}).status_code == HTTPStatus.OK
    for tampered in (f"{payload}:{flipped}", f"{payload}x:{signature}", payload):
        assert_refused(alice_client.get(tasks_url(), {"cursor": tampered}), naming="cursor")


@pytest.mark.parametrize("since", ["garbage", "1", signing.dumps("1"), signing.dumps(5), "x" * 10_000])
def test_a_malformed_sync_token_is_a_400_naming_it(alice_client, task, since):
    assert_refused(alice_client.get(f"{tasks_url()}/sync", {"since": since}), naming="since")


# --- malformed and out-of-range dates ----------------------------------------------------

BAD_DATES = [
    "tomorrow",
    "2026-13-01T00:00:00Z",
    "2026-02-30T00:00:00Z",
    "2026-01-01T25:00:00Z",
    "2026-01-01T00:00:00+25:00",
    "2026-01-01",  # a date, no time and no offset
    "2026-01-01T00:00:00",  # no offset
    "2026-01-01T00:00:00 ",  # no offset, and a space that a lenient parser skips
    "2026-01-01T00:00:00\tZ",
    "2026-01-01T00:00:00\x1cZ",
    "２０２６-01-01T00:00:00Z",  # full-width digits
    "0000-01-01T00:00:00Z",
    "0001-01-01T00:00:00+05:00",  # before year 1 in UTC
    "9999-12-31T23:59:59-05:00",  # after year 9999 in UTC
    "99999-01-01T00:00:00Z",
    "",
]


@pytest.mark.parametrize("write", TASK_WRITES)
@pytest.mark.parametrize("due_at", BAD_DATES)
def test_a_malformed_or_out_of_range_due_at_is_a_400(alice_client, task, unchanged, write, due_at):
    response = send_json(alice_client, task, write, {**base_body(write), "due_at": due_at})

    assert_refused(response, naming="due_at")
    unchanged()


@pytest.mark.parametrize(
    "due_at", ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00-05:00", "9999-12-31T23:59:59Z"]
)
def test_the_extreme_dates_in_range_are_stored_and_read_back(alice_client, due_at):
    response = alice_client.post(tasks_url(), {"title": "x", "due_at": due_at}, format="json")

    assert response.status_code == HTTPStatus.CREATED, response.json()
    task_id = response.json()["id"]
    assert alice_client.get(tasks_url("me", task_id)).status_code == HTTPStatus.OK
    assert alice_client.get(tasks_url(), {"ordering": "due_at"}).status_code == HTTPStatus.OK


# The query is read as a form is (tasks.api.filters): a time without an offset as UTC, a
# bare date as its midnight, surrounding spaces stripped, an empty value as no filter.
QUERY_BAD_DATES = [
    "tomorrow",
    "2026-13-01T00:00:00Z",
    "2026-02-30T00:00:00Z",
    "2026-01-01T25:00:00Z",
    "2026-01-01T00:00:00+25:00",
    "0000-01-01T00:00:00Z",
    "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:59:59-05:00",
    "99999-01-01T00:00:00Z",
]


@pytest.mark.parametrize("param", ["due_before", "due_after", "updated_since"])
@pytest.mark.parametrize("value", QUERY_BAD_DATES)
def test_a_malformed_or_out_of_range_date_parameter_is_a_400(alice_client, task, param, value):
    assert_refused(alice_client.get(tasks_url(), {param: value}), naming=param)


# --- huge and malformed limits -----------------------------------------------------------


@pytest.mark.parametrize(
    "limit", ["1001", "1000000", "9" * 400, "-1", "0", "1e3", "0x10", "1.0", " 1", "١٠", "", "1\x00"]
)
def test_a_huge_or_malformed_limit_is_a_400_naming_it(alice_client, task, limit):
    assert_refused(alice_client.get(tasks_url(), {"limit": limit}), naming="limit")


# --- headers -----------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["", "x" * 256, "clé", "with space", "tab\tkey"])
def test_a_malformed_idempotency_key_is_a_400(alice_client, task, unchanged, key):
    response = alice_client.post(tasks_url(), {"title": "x"}, format="json", headers={"Idempotency-Key": key})

    assert_refused(response, naming="Idempotency-Key")
    unchanged()


@pytest.mark.parametrize("if_match", ["garbage", '"', 'W/"x"', "*, x", "x" * 5_000])
def test_a_malformed_if_match_is_a_412(alice_client, task, unchanged, if_match):
    url = tasks_url("me", task.pk)
    headers = {"If-Match": if_match}
    responses = [
        alice_client.put(url, {"title": "x"}, format="json", headers=headers),
        alice_client.patch(url, {"title": "x"}, format="json", headers=headers),
        alice_client.patch(f"{url}/complete", format="json", headers=headers),
        alice_client.delete(url, headers=headers),
    ]

    for response in responses:
        assert_refused(response, HTTPStatus.PRECONDITION_FAILED)
    unchanged()


# --- the token endpoint ------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "{",
        '{"username": ["alice"], "password": "x"}',
        '{"username": "alice", "password": {"x": 1}}',
        "[]",
        b'{"username": "\xff", "password": "x"}',
    ],
    ids=lambda body: str(body)[:20],
)
def test_a_bad_login_body_is_a_400(client, alice, body):
    if isinstance(body, str):
        body = body.encode()
    assert_refused(client.generic("POST", "/api/auth/token", body, content_type="application/json"))


def test_an_oversized_login_is_a_401_like_any_unknown_one(client, alice):
    response = client.post(
        "/api/auth/token", {"username": "a" * 100_000, "password": "x"}, content_type="application/json"
    )

    assert_refused(response, HTTPStatus.UNAUTHORIZED)
