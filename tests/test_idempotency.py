"""`Idempotency-Key` on POST: a retry gets the first response back and creates nothing."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from tasks.identity.principal import principal_id
from tasks.models import IdempotencyRecord, Task
from tests.conftest import CAROL_ID, tasks_url

pytestmark = pytest.mark.django_db

KEY = "5d8e4e0c-retry-me"
CLEAR_URL = tasks_url("me", suffix="/clear-completed")


def post(client, body, key=KEY, url=None):
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return client.post(url or tasks_url(), body, format="json", **headers)


def owned_by(user) -> int:
    return Task.objects.filter(user_id=user if isinstance(user, str) else principal_id(user)).count()


def test_a_retry_with_the_same_key_and_body_returns_the_first_response_and_creates_nothing(
    alice, alice_client
):
    body = {"title": "Pay rent", "tags": ["home"], "priority": "high"}

    first = post(alice_client, body)
    retry = post(alice_client, body)

    assert first.status_code == retry.status_code == HTTPStatus.CREATED
    assert retry.json() == first.json()
    assert retry.headers["ETag"] == first.headers["ETag"]
    assert "Idempotent-Replayed" not in first.headers
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert owned_by(alice) == 1


def test_many_retries_still_create_one_task(alice, alice_client):
    responses = [post(alice_client, {"title": "Once"}) for _ in range(5)]

    assert {response.json()["id"] for response in responses} == {responses[0].json()["id"]}
    assert owned_by(alice) == 1
    assert IdempotencyRecord.objects.filter(user_id=principal_id(alice), key=KEY).count() == 1


def test_the_same_body_with_its_keys_in_another_order_is_the_same_request(alice, alice_client):
    first = alice_client.post(
        tasks_url(), '{"title": "Order", "priority": "low"}', content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=KEY,
    )  # fmt: skip
    retry = alice_client.post(
        tasks_url(), '{"priority": "low", "title": "Order"}', content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=KEY,
    )  # fmt: skip

    assert retry.json()["id"] == first.json()["id"]
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert owned_by(alice) == 1


def test_the_same_key_with_another_body_is_422_with_a_detail_and_creates_nothing(alice, alice_client):
    first = post(alice_client, {"title": "Buy milk"})

    other = post(alice_client, {"title": "Buy bread"})

    assert other.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "Idempotency-Key" in other.json()["detail"]
    assert "Idempotent-Replayed" not in other.headers
    assert owned_by(alice) == 1
    assert Task.objects.get(pk=first.json()["id"]).title == "Buy milk"


def test_the_same_key_on_another_endpoint_is_refused(alice, alice_client):
    post(alice_client, {})  # 400: no title, so nothing is stored under the key
    post(alice_client, {"title": "Created"})

    response = post(alice_client, {"title": "Created"}, url=CLEAR_URL)

    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert owned_by(alice) == 1


def test_keys_are_per_user_so_one_users_key_never_replays_for_another(alice, bob, alice_client, bob_client):
    body = {"title": "Same title, same key"}

    alices = post(alice_client, body)
    bobs = post(bob_client, body)

    assert bobs.status_code == HTTPStatus.CREATED
    assert "Idempotent-Replayed" not in bobs.headers
    assert bobs.json()["id"] != alices.json()["id"]
    assert bobs.json()["user_id"] == principal_id(bob)
    assert owned_by(alice) == owned_by(bob) == 1
    # And each one's retry replays their own.
    assert post(bob_client, body).json()["id"] == bobs.json()["id"]
    assert post(alice_client, body).json()["id"] == alices.json()["id"]


def test_a_different_body_from_another_user_under_the_same_key_is_not_a_conflict(alice_client, carol_client):
    post(alice_client, {"title": "Alice's"})

    response = post(carol_client, {"title": "Carol's"})

    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["user_id"] == CAROL_ID


@pytest.mark.parametrize(
    "key",
    ["k" * 256, "clé-non-ascii", "has space", "tab\there", ""],
    ids=["256-chars", "non-ascii", "space", "control-char", "empty"],
)
def test_an_invalid_key_is_400_naming_the_header_and_creates_nothing(alice, alice_client, key):
    response = post(alice_client, {"title": "Never created"}, key=key)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Idempotency-Key" in response.json()["detail"]
    assert owned_by(alice) == 0
    assert not IdempotencyRecord.objects.exists()


def test_a_key_of_255_visible_ascii_characters_is_accepted(alice_client):
    key = ("!~Az09" * 50)[:255]

    first = post(alice_client, {"title": "Long key"}, key=key)
    retry = post(alice_client, {"title": "Long key"}, key=key)

    assert first.status_code == HTTPStatus.CREATED
    assert retry.headers["Idempotent-Replayed"] == "true"


def test_a_failed_request_does_not_burn_the_key(alice, alice_client):
    failed = post(alice_client, {"title": ""})
    failed_again = post(alice_client, {"title": ""})
    fixed = post(alice_client, {"title": "Fixed"})
    retry = post(alice_client, {"title": "Fixed"})

    assert failed.status_code == failed_again.status_code == HTTPStatus.BAD_REQUEST
    assert "Idempotent-Replayed" not in failed_again.headers
    assert fixed.status_code == HTTPStatus.CREATED
    assert "Idempotent-Replayed" not in fixed.headers
    assert retry.json()["id"] == fixed.json()["id"]
    assert owned_by(alice) == 1


def test_without_a_key_every_post_creates(alice, alice_client):
    post(alice_client, {"title": "Twice"}, key=None)
    post(alice_client, {"title": "Twice"}, key=None)

    assert owned_by(alice) == 2


def age(alice, hours: float) -> None:
    IdempotencyRecord.objects.filter(user_id=principal_id(alice), key=KEY).update(
        created_at=timezone.now() - timedelta(hours=hours)
    )


def test_a_record_younger_than_24_hours_is_still_replayed(alice, alice_client):
    first = post(alice_client, {"title": "Yesterday-ish"})
    age(alice, 23)

    retry = post(alice_client, {"title": "Yesterday-ish"})

    assert retry.json()["id"] == first.json()["id"]
    assert owned_by(alice) == 1


def test_a_record_older_than_24_hours_is_not_replayed(alice, alice_client):
    first = post(alice_client, {"title": "Long ago"})
    age(alice, 25)

    later = post(alice_client, {"title": "Long ago"})
    later_retry = post(alice_client, {"title": "Long ago"})

    assert later.status_code == HTTPStatus.CREATED
    assert "Idempotent-Replayed" not in later.headers
    assert later.json()["id"] != first.json()["id"]
    assert later_retry.json()["id"] == later.json()["id"]
    assert owned_by(alice) == 2


def test_an_expired_key_may_be_used_with_another_body(alice, alice_client):
    post(alice_client, {"title": "Old use"})
    age(alice, 25)

    response = post(alice_client, {"title": "New use"})

    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["title"] == "New use"


def test_clear_completed_with_a_key_deletes_once_and_replays_the_count(alice, alice_client, make_task):
    for title in ("done 1", "done 2"):
        make_task(alice, title=title, completed=True)
    make_task(alice, title="open")

    first = post(alice_client, None, url=CLEAR_URL)
    # Completed after the first call: a retry must not delete it.
    survivor = make_task(alice, title="done later", completed=True)
    retry = post(alice_client, None, url=CLEAR_URL)

    assert first.status_code == retry.status_code == HTTPStatus.OK
    assert first.json() == retry.json() == {"deleted": 2}
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert Task.objects.filter(pk=survivor.pk).exists()
    assert owned_by(alice) == 2


def test_clear_completed_without_a_key_runs_every_time(alice, alice_client, make_task):
    make_task(alice, completed=True)
    assert post(alice_client, None, key=None, url=CLEAR_URL).json() == {"deleted": 1}
    make_task(alice, completed=True)

    assert post(alice_client, None, key=None, url=CLEAR_URL).json() == {"deleted": 1}


def test_a_stranger_cannot_use_a_key_on_the_owners_path(alice, bob_client):
    response = post(bob_client, {"title": "Intruder"}, url=tasks_url(principal_id(alice)))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not IdempotencyRecord.objects.exists()
    assert owned_by(alice) == 0


def test_the_prune_command_deletes_only_expired_records(alice):
    IdempotencyRecord.objects.create(user_id=principal_id(alice), key="fresh", fingerprint="x")
    old = IdempotencyRecord.objects.create(user_id=principal_id(alice), key="old", fingerprint="x")
    IdempotencyRecord.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=25))
    out = StringIO()

    call_command("prune_idempotency_keys", stdout=out)

    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh"]
    assert "Deleted 1" in out.getvalue()
