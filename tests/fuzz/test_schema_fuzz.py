"""Property-based fuzz of the whole API from its own OpenAPI schema (schemathesis).

The schema is the one drf-spectacular serves at /api/schema (the first test checks
that), built at import time so that each operation is a test of its own. Every case
goes over real HTTP to pytest-django's live server, valid and invalid input alike
(schemathesis' positive and negative modes, its coverage phase of boundary values
first). A case fails on any 5xx, and on any response the schema does not describe:
undocumented status code, body, content type or header.

Run it alone with `pytest -m fuzz`; the number of requests sent is printed at the end.
"""

from __future__ import annotations

import json

import pytest
import requests
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import negative_data_rejection

from tasks.identity.principal import principal_id
from tests.fuzz.conftest import REQUESTS_SENT, RESPONSES_SEEN, SEED_TASK_IDS, ensure_seed_tasks

FORM_MEDIA_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}

# Real commits, as the live server needs; restored afterwards as the other live-server tests do.
pytestmark = [pytest.mark.fuzz, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# Bounded and derandomized, so that a CI run is quick and repeatable.
FUZZ_SETTINGS = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def api_schema() -> dict:
    """The OpenAPI document exactly as `GET /api/schema` renders it (as JSON)."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document, renderer_context={}))


RAW_SCHEMA = api_schema()


def load(*, path_regex: str | None = None, with_credentials: bool):
    # An explicit config of its own: never the auto-discovered, shared one.
    schema = schemathesis.openapi.from_dict(RAW_SCHEMA, config=SchemathesisConfig())
    # `me` at generation time; each case then swaps in the real id half the time.
    schema.config.update(parameters={"path.user_id": "me"})
    # With credentials, the test sends a real token; without, schemathesis' own
    # (empty or garbage) Authorization headers and session cookies must all get 401.
    schema.config.generation.update(with_security_parameters=not with_credentials)
    # Every check but one: "schema-valid input is accepted" cannot hold here, because the
    # API rightly refuses some input that OpenAPI has no words for: opaque signed tokens
    # (`cursor`, `since`) that were not issued, NUL characters, an `If-Match` of another
    # version (412), a reused `Idempotency-Key` (422). tests/test_bad_input.py covers those.
    schema.config.checks.update(excluded_check_names=["positive_data_acceptance"])
    # Invalid input may also meet a precondition that fails first (412: `If-Match` names
    # another version, checked before the body is read) or a body over the size limit (413).
    rejection = schema.config.checks.negative_data_rejection
    rejection.expected_statuses = [*rejection.expected_statuses, "412", "413"]
    if not with_credentials:
        # Every answer is the same 401: the boundary values of the coverage phase add nothing.
        schema.config.phases.update(phases=["examples", "fuzzing"])
    return schema.include(path_regex=path_regex) if path_regex else schema


# Not the event stream: with a token it never ends (heartbeats keep it open), so no case
# could read its whole response. Its answers are tested in tests/test_event_stream.py;
# without a token it is a plain 401 and is fuzzed below with the rest.
owner_schema = load(with_credentials=True).exclude(path_regex=r"/events$")
anonymous_schema = load(path_regex=r"^/api/\{user_id\}/", with_credentials=False)


def aim(case, user_id: str, label: str) -> None:
    """Point the generated request at the caller's own data, so that it gets past the
    404s and 422s to the handlers: the real user id every other request (`me`
    otherwise), for three cases in four a task that exists rather than a random id, and
    a fresh `Idempotency-Key` rather than one that every case repeats with another body.
    A part of the request that is the invalid part of the case is left as it is."""
    turn = REQUESTS_SENT[label]
    meta = case.meta
    if meta is None or not meta.is_negative_at(ParameterLocation.PATH):
        if turn % 2:
            case.path_parameters["user_id"] = user_id
        if "task_id" in case.path_parameters and turn % 4 != 3:
            case.path_parameters["task_id"] = str(SEED_TASK_IDS[turn % len(SEED_TASK_IDS)])
    headers = case.headers or {}
    generated_key_is_valid = meta is None or not meta.is_negative_at(ParameterLocation.HEADER)
    if "Idempotency-Key" in headers and generated_key_is_valid and turn % 4 != 3:
        headers["Idempotency-Key"] = f"fuzz-{turn}"


def checks_not_for(case) -> list:
    """Form bodies (the browsable API's) cannot say null or a type: DRF reads an empty
    field as null and `on` as true, as HTML forms need. "Invalid input is refused" is
    judged on JSON bodies only; form bodies still must not cause a 5xx or an
    undocumented response."""
    if case.media_type in FORM_MEDIA_TYPES:
        return [negative_data_rejection]
    return []


def send_and_check(case, label: str, base_url: str, headers: dict[str, str] | None = None):
    """`case.call_and_validate()`, counting the request and its status class first."""
    transport = {"base_url": base_url, "headers": dict(headers or {}), "timeout": 30}
    response = case.call(**transport)
    REQUESTS_SENT[label] += 1
    RESPONSES_SEEN[f"{response.status_code // 100}xx"] += 1
    case.validate_response(
        response, headers=headers, excluded_checks=checks_not_for(case), transport_kwargs=transport
    )
    return response


def test_fuzzed_schema_is_the_served_one(live_server):
    served = requests.get(f"{live_server.url}/api/schema?format=json", timeout=10)
    assert served.status_code == 200
    assert served.json()["paths"] == RAW_SCHEMA["paths"]


@owner_schema.parametrize()
@FUZZ_SETTINGS
def test_api_as_its_owner(case, live_server, fuzz_user, fuzz_token):
    label = f"owner      {case.operation.label}"
    user_id = principal_id(fuzz_user)
    ensure_seed_tasks(user_id)
    aim(case, user_id, label)
    send_and_check(case, label, live_server.url, {"Authorization": f"Bearer {fuzz_token}"})


@anonymous_schema.parametrize()
@settings(FUZZ_SETTINGS, max_examples=10)
def test_api_without_credentials(case, live_server, fuzz_user):
    label = f"anonymous  {case.operation.label}"
    aim(case, principal_id(fuzz_user), label)
    response = send_and_check(case, label, live_server.url)
    if case.meta is not None and case.meta.is_negative_at(ParameterLocation.PATH):
        # A path that matches no route is a 404 before anyone asks for credentials.
        assert response.status_code in (401, 404), response.text
        return
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"][0].startswith("Bearer")
