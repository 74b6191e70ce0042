"""`/api/{user_id}/webhooks`: subscribe, list, delete, and read the delivery log, with
the same 401/403/404 rules as the tasks; the secret is shown once."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from events import webhooks
from events.models import WebhookSubscription
from tasks.data.store import TaskStore
from tasks.identity.principal import principal_id

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("events_at_once")]

URL = "/api/me/webhooks"
BODY = {"url": "https://hooks.example.com/tasks", "events": ["task.created", "task.completed"]}


def test_alice_subscribes_and_sees_the_secret_only_in_the_answer(alice_client):
    response = alice_client.post(URL, BODY, format="json")

    assert response.status_code == HTTPStatus.CREATED
    created = response.json()
    assert set(created) == {"id", "url", "events", "secret", "active", "created_at", "disabled_reason"}
    assert created["secret"].startswith("whsec_")
    assert created["active"] is True
    listed = alice_client.get(URL).json()
    assert [hook["id"] for hook in listed] == [created["id"]]
    assert "secret" not in listed[0]
    assert "secret" not in alice_client.get(f"{URL}/{created['id']}").json()


def test_alice_deletes_her_subscription(alice_client):
    hook = alice_client.post(URL, BODY, format="json").json()

    assert alice_client.delete(f"{URL}/{hook['id']}").status_code == HTTPStatus.NO_CONTENT
    assert alice_client.get(URL).json() == []


def test_bob_cannot_see_or_delete_alices_subscription(alice_client, bob_client, alice):
    hook = alice_client.post(URL, BODY, format="json").json()

    assert bob_client.get(f"{URL}/{hook['id']}").status_code == HTTPStatus.NOT_FOUND
    assert bob_client.delete(f"{URL}/{hook['id']}").status_code == HTTPStatus.NOT_FOUND
    assert bob_client.get(f"{URL}/{hook['id']}/deliveries").status_code == HTTPStatus.NOT_FOUND
    assert bob_client.get(f"/api/{principal_id(alice)}/webhooks").status_code == HTTPStatus.FORBIDDEN
    assert WebhookSubscription.objects.count() == 1


def test_a_stranger_gets_401(anon_client):
    response = anon_client.get(URL)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert "WWW-Authenticate" in response.headers


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**BODY, "url": "ftp://example.com/x"}, "url"),
        ({**BODY, "url": "http://127.0.0.1/x"}, "url"),
        ({**BODY, "url": "http://169.254.169.254/latest"}, "url"),
        ({**BODY, "events": ["task.exploded"]}, "events"),
        ({**BODY, "events": []}, "events"),
        ({"events": ["task.created"]}, "url"),
        ({**BODY, "colour": "red"}, "colour"),
        ({**BODY, "url": 42}, "url"),
    ],
)
def test_bad_subscriptions_are_a_400_naming_the_field(alice_client, settings, body, field):
    settings.WEBHOOK_ALLOW_PRIVATE = False

    response = alice_client.post(URL, body, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert any(name.split(".")[0] == field for name in response.json()["errors"])


def test_at_most_the_configured_number_of_subscriptions(alice_client, settings):
    settings.WEBHOOK_MAX_SUBSCRIPTIONS = 2
    for _ in range(2):
        assert alice_client.post(URL, BODY, format="json").status_code == HTTPStatus.CREATED

    response = alice_client.post(URL, BODY, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "At most 2" in response.json()["detail"]


def test_the_delivery_log_lists_each_attempt(alice_client, alice, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    hook = alice_client.post(URL, {**BODY, "url": "http://127.0.0.1:9/closed"}, format="json").json()
    TaskStore(principal_id(alice)).create(title="Logged")
    webhooks.fan_out()
    (delivery_id,) = webhooks.due_deliveries()
    webhooks.attempt(delivery_id)  # nothing listens on port 9: refused at once

    log = alice_client.get(f"{URL}/{hook['id']}/deliveries").json()

    assert len(log) == 1
    assert log[0]["event_type"] == "task.created"
    assert log[0]["status"] == "pending"
    assert len(log[0]["attempts"]) == 1
    assert log[0]["attempts"][0]["status_code"] is None
    assert log[0]["attempts"][0]["error"]


def test_staff_see_subscriptions_and_deliveries_in_the_admin(client, django_user_model, alice_client):
    hook = alice_client.post(URL, BODY, format="json").json()
    staff = django_user_model.objects.create_superuser("staff", password="staff-pass-123!")
    client.force_login(staff)

    listing = client.get("/admin/events/webhooksubscription/")
    deliveries = client.get("/admin/events/webhookdelivery/")
    events = client.get("/admin/events/event/")

    assert listing.status_code == deliveries.status_code == events.status_code == HTTPStatus.OK
    assert hook["url"] in listing.content.decode()
