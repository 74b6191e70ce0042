"""SPEC 3: ids never collide across ways in. A Django account owns its tasks as
`local:<pk>`; an identity provider's subject, whatever it is ("1", "alice",
"local:1"), never reaches them, and the account never reaches the subject's tasks."""

from collections.abc import Callable
from http import HTTPStatus
from types import SimpleNamespace

import pytest
from django.http import HttpRequest
from rest_framework import throttling
from rest_framework.test import APIClient

from tasks.api.throttling import UserRateThrottle
from tasks.identity.identity_provider import ExternalTokenError, configured_verifier
from tasks.identity.principal import ExternalUser, principal_id
from tasks.models import Tag, Task
from tests.conftest import bearer_client, set_tags, tasks_url
from tests.test_auth_jwks import ED_KEY, jwks  # noqa: F401 - the JWKS fixture

pytestmark = pytest.mark.django_db

# Every way the API lets a caller read or change tasks, on the caller's own path.
ENDPOINTS: dict[str, Callable[[APIClient, str, object], object]] = {
    "list": lambda client, user, task: client.get(tasks_url(user)),
    "create": lambda client, user, task: client.post(tasks_url(user), {"title": "Planted"}, format="json"),
    "retrieve": lambda client, user, task: client.get(tasks_url(user, task)),
    "put": lambda client, user, task: client.put(tasks_url(user, task), {"title": "Hijacked"}, format="json"),
    "patch": lambda client, user, task: client.patch(
        tasks_url(user, task), {"title": "Hijacked"}, format="json"
    ),
    "complete": lambda client, user, task: client.patch(tasks_url(user, task, "/complete")),
    "delete": lambda client, user, task: client.delete(tasks_url(user, task)),
    "sync": lambda client, user, task: client.get(tasks_url(user, suffix="/sync")),
    "tags": lambda client, user, task: client.get(f"/api/{user}/tags"),
    "clear-completed": lambda client, user, task: client.post(tasks_url(user, suffix="/clear-completed")),
}
TASK_ENDPOINTS = {"retrieve", "put", "patch", "complete", "delete"}
SUBJECTS = {
    "pk": lambda user: str(user.pk),
    "username": lambda user: user.username,
    "local-id": lambda user: principal_id(user),
}


@pytest.fixture(params=["hs256", "jwks"])
def provider_token(request, external_token) -> Callable[[str], str]:
    """Mint a token for any subject, signed as the configured identity provider signs."""
    if request.param == "hs256":
        return external_token
    request.getfixturevalue("jwks")
    return lambda sub: ED_KEY.sign(sub=sub)


@pytest.fixture
def alices_tasks(alice, make_task) -> dict[str, Task]:
    """Alice's open, tagged task and a completed one that clear-completed would delete."""
    task = make_task(alice, title="Alice's open", description="private")
    set_tags(task, ["alice-only"])
    return {"open": task, "done": make_task(alice, title="Alice's done", completed=True)}


def snapshot(user_id: str) -> list:
    """Every stored detail of a user's tasks and tags, to prove nothing changed."""
    tasks = Task.objects.filter(user_id=user_id).prefetch_related("tags").order_by("id")
    return [
        (task.pk, task.title, task.description, task.completed, task.change_seq, sorted(task.tag_names))
        for task in tasks
    ] + sorted(Tag.objects.filter(user_id=user_id).values_list("name", flat=True))


def assert_sees_nothing_of(response, tasks: dict[str, Task]) -> None:
    body = response.content.decode()
    for task in tasks.values():
        assert str(task.pk) not in body
        assert task.title not in body
    assert "alice-only" not in body


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("subject", ["pk", "username"])
def test_a_provider_subject_equal_to_a_local_accounts_pk_or_name_reaches_none_of_its_tasks(
    alice, alices_tasks, provider_token, subject, endpoint
):
    impostor = bearer_client(provider_token(SUBJECTS[subject](alice)))
    before = snapshot(principal_id(alice))

    response = ENDPOINTS[endpoint](impostor, "me", alices_tasks["open"].pk)

    if endpoint in TASK_ENDPOINTS:
        assert response.status_code == HTTPStatus.NOT_FOUND
    else:
        assert response.status_code < HTTPStatus.BAD_REQUEST  # its own, empty, collection
        assert_sees_nothing_of(response, alices_tasks)
    assert snapshot(principal_id(alice)) == before


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("subject", ["pk", "username"])
def test_a_provider_subject_gets_403_on_a_local_accounts_path(
    alice, alices_tasks, provider_token, subject, endpoint
):
    impostor = bearer_client(provider_token(SUBJECTS[subject](alice)))
    before = snapshot(principal_id(alice))

    response = ENDPOINTS[endpoint](impostor, principal_id(alice), alices_tasks["open"].pk)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert snapshot(principal_id(alice)) == before


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("path_user", ["me", "own-id"])
def test_a_provider_token_claiming_a_local_id_is_refused_everywhere(
    alice, alices_tasks, provider_token, path_user, endpoint
):
    impostor = bearer_client(provider_token(principal_id(alice)))
    before = snapshot(principal_id(alice))
    user_id = "me" if path_user == "me" else principal_id(alice)

    response = ENDPOINTS[endpoint](impostor, user_id, alices_tasks["open"].pk)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert snapshot(principal_id(alice)) == before


@pytest.mark.parametrize("subject", ["local:1", "local:", "LOCAL:1", "Local:admin"])
def test_the_refusal_of_a_reserved_subject_says_why(provider_token, subject):
    response = bearer_client(provider_token(subject)).get(tasks_url())

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert "reserved" in response.json()["detail"]


def test_subjects_that_only_contain_local_keep_working(external_token):
    for subject in ("user:local:1", "localhost", "local-1"):
        response = bearer_client(external_token(subject)).post(tasks_url(), {"title": subject}, format="json")

        assert response.status_code == HTTPStatus.CREATED
        assert response.json()["user_id"] == subject


def test_a_refused_subject_is_not_remembered_as_verified(external_token):
    token = external_token("local:1")
    verifier = configured_verifier()

    for _ in range(2):
        with pytest.raises(ExternalTokenError, match="reserved"):
            verifier.user_id(token)
    assert verifier.recently_verified.get(token) is None


@pytest.fixture
def subjects_tasks(alice, make_task) -> dict[str, Task]:
    """Tasks of the provider's user whose subject is alice's pk, as the seed's ids were."""
    task = make_task(str(alice.pk), title="Subject's open", description="theirs")
    set_tags(task, ["alice-only"])  # the same tag name, in the other owner's namespace
    return {"open": task, "done": make_task(str(alice.pk), title="Subject's done", completed=True)}


@pytest.fixture(params=["issued-token", "session"])
def alice_as_local_account(request, alice, alice_client) -> APIClient:
    if request.param == "issued-token":
        return alice_client
    client = APIClient()
    # The sign-in lockout (django-axes) needs the request a real login has.
    assert client.login(request=HttpRequest(), username="alice", password="alice-pass-123!")
    return client


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_local_account_reaches_none_of_the_tasks_of_the_subject_equal_to_its_pk(
    alice, subjects_tasks, alice_as_local_account, endpoint
):
    before = snapshot(str(alice.pk))

    own = ENDPOINTS[endpoint](alice_as_local_account, "me", subjects_tasks["open"].pk)
    foreign = ENDPOINTS[endpoint](alice_as_local_account, str(alice.pk), subjects_tasks["open"].pk)

    if endpoint in TASK_ENDPOINTS:
        assert own.status_code == HTTPStatus.NOT_FOUND
    else:
        assert own.status_code < HTTPStatus.BAD_REQUEST
        assert_sees_nothing_of(own, subjects_tasks)
    assert foreign.status_code == HTTPStatus.FORBIDDEN
    assert snapshot(str(alice.pk)) == before


def test_each_way_in_creates_tasks_under_its_own_id(alice, alice_client, external_token):
    mine = alice_client.post(tasks_url(), {"title": "Local"}, format="json")
    theirs = bearer_client(external_token(str(alice.pk))).post(
        tasks_url(), {"title": "External"}, format="json"
    )

    assert mine.json()["user_id"] == f"local:{alice.pk}"
    assert theirs.json()["user_id"] == str(alice.pk)
    assert Task.objects.get(user_id=f"local:{alice.pk}").title == "Local"
    assert Task.objects.get(user_id=str(alice.pk)).title == "External"


def test_a_local_account_and_the_subject_equal_to_its_pk_have_separate_throttle_budgets(alice):
    local = SimpleNamespace(user=alice)
    external = SimpleNamespace(user=ExternalUser(str(alice.pk)))

    # DRF's own per-user throttle keys on `user.pk`, which the two share.
    drf = throttling.UserRateThrottle()
    assert drf.get_cache_key(local, None) == drf.get_cache_key(external, None)
    throttle = UserRateThrottle()
    assert throttle.get_cache_key(local, None) != throttle.get_cache_key(external, None)
    assert throttle.get_cache_key(external, None).endswith(f"_{alice.pk}")
    assert throttle.get_cache_key(local, None).endswith(f"_local:{alice.pk}")


def test_the_throttle_leaves_anonymous_callers_to_the_per_ip_throttle():
    anonymous = SimpleNamespace(user=SimpleNamespace(is_authenticated=False))

    assert UserRateThrottle().get_cache_key(anonymous, None) is None
