"""Every API view derives from one base (tasks.api.base.ApiEndpoint), which resolves the
caller once, answers the JSON that API clients ask for without negotiating, and keeps
DRF's negotiation for everything else (the browsable API, `?format=`, 406)."""

from http import HTTPStatus

import pytest
from django.contrib.admindocs.views import extract_views_from_urlpatterns
from django.urls import get_resolver
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from events.stream_view import EventStreamView
from events.views import WebhookViewSet
from tasks.api import base
from tasks.api.base import ApiEndpoint, OwnerScopedEndpoint
from tasks.api.viewsets import TagListView, TaskViewSet
from tasks.identity.principal import principal_id
from tasks.mcp.views import McpView
from tests.conftest import tasks_url

pytestmark = pytest.mark.django_db

PROJECT_PACKAGES = ("tasks.", "events.", "config.")
# Views of kept libraries, routed as they come: sign-in and the schema, not the API's
# resources. A new one must be named here, on purpose.
THIRD_PARTY_VIEWS = {
    TokenObtainPairView,
    TokenRefreshView,
    SpectacularAPIView,
    SpectacularSwaggerView,
    SpectacularRedocView,
}


def routed_drf_views() -> set[type]:
    views = set()
    for callback, _pattern, _namespace, _name in extract_views_from_urlpatterns(get_resolver().url_patterns):
        cls = getattr(callback, "cls", None)
        if isinstance(cls, type) and issubclass(cls, APIView):
            views.add(cls)
    return views


def test_every_routed_view_of_the_project_derives_from_the_base():
    views = routed_drf_views()
    ours = {view for view in views if view.__module__.startswith(PROJECT_PACKAGES)}

    assert ours >= {TaskViewSet, WebhookViewSet, TagListView, EventStreamView, McpView}
    assert [view for view in ours if not issubclass(view, ApiEndpoint)] == []
    assert views - ours <= THIRD_PARTY_VIEWS


def test_every_view_under_a_user_id_is_owner_scoped():
    for view in (TaskViewSet, WebhookViewSet, TagListView, EventStreamView):
        assert issubclass(view, OwnerScopedEndpoint), view


# --- the caller, resolved once -------------------------------------------------------------


@pytest.fixture
def resolutions(monkeypatch):
    """Counts how often the views turn the authenticated user into a principal id."""
    calls = []

    def counted(user):
        calls.append(user)
        return principal_id(user)

    monkeypatch.setattr(base, "principal_id", counted)
    return calls


@pytest.mark.parametrize(
    ("method", "suffix", "body", "headers"),
    [
        ("get", "", None, {}),
        ("post", "", {"title": "Buy milk"}, {"HTTP_IDEMPOTENCY_KEY": "key-1"}),
        ("patch", "/complete", None, {"HTTP_IDEMPOTENCY_KEY": "key-2"}),
        ("put", "", {"title": "Renamed"}, {}),
        ("delete", "", None, {}),
    ],
    ids=["get", "create", "toggle", "update", "delete"],
)
def test_the_caller_is_resolved_once_per_request(
    alice, alice_client, make_task, resolutions, method, suffix, body, headers
):
    task = make_task(alice)
    url = tasks_url() if method == "post" else tasks_url(task_id=task.pk, suffix=suffix)

    response = getattr(alice_client, method)(url, body, format="json", **headers)

    assert response.status_code < 300, response.content
    assert resolutions == [alice]


def test_the_view_keeps_the_caller_it_resolved(alice, alice_client):
    response = alice_client.get(tasks_url())

    assert response.status_code == HTTPStatus.OK
    view = response.renderer_context["view"]
    assert view.owner_id == principal_id(alice)
    assert view.store.user_id == principal_id(alice)


def test_a_stranger_is_refused_with_the_caller_resolved_once(alice, bob_client, resolutions, bob):
    response = bob_client.get(tasks_url(principal_id(alice)))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert resolutions == [bob]


def test_an_anonymous_caller_is_never_resolved(anon_client, resolutions):
    response = anon_client.get(tasks_url())

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert resolutions == []


def test_the_path_owner_check_lets_no_one_in_before_the_caller_is_known(rf):
    from tasks.identity.permissions import IsPathOwner

    view = TaskViewSet()
    view.kwargs = {"user_id": "me"}

    assert view.owner_id is None
    assert IsPathOwner().has_permission(rf.get("/"), view) is False


# --- negotiation ------------------------------------------------------------------------


@pytest.fixture
def negotiations(monkeypatch):
    """Counts the times DRF's content negotiation is asked to choose a renderer."""
    calls = []
    select = DefaultContentNegotiation.select_renderer

    def counted(self, request, renderers, format_suffix=None):
        calls.append(request.META.get("HTTP_ACCEPT"))
        return select(self, request, renderers, format_suffix)

    monkeypatch.setattr(DefaultContentNegotiation, "select_renderer", counted)
    return calls


@pytest.mark.parametrize("accept", [None, "*/*", "application/json"], ids=["no-accept", "any", "json"])
def test_what_api_clients_send_gets_json_without_negotiating(
    alice, alice_client, make_task, negotiations, accept
):
    make_task(alice, title="Buy milk")
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}

    response = alice_client.get(tasks_url(), **headers)

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/json"
    assert [task["title"] for task in response.json()] == ["Buy milk"]
    assert negotiations == []


@pytest.mark.parametrize("accept", [None, "*/*", "application/json"], ids=["no-accept", "any", "json"])
def test_the_short_cut_answers_what_drf_negotiation_answers(alice, alice_client, make_task, accept):
    task = make_task(alice, title="Buy milk")
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}

    short_cut = alice_client.get(tasks_url(task_id=task.pk), **headers)
    # Same meaning, spelled so that the short-cut does not recognise it: DRF decides.
    negotiated = alice_client.get(tasks_url(task_id=task.pk), HTTP_ACCEPT=f"{accept or '*/*'};q=1.0")

    assert short_cut.status_code == negotiated.status_code == HTTPStatus.OK
    assert short_cut["Content-Type"] == negotiated["Content-Type"]
    assert short_cut["Vary"] == negotiated["Vary"]
    assert short_cut.content == negotiated.content


def test_a_browser_gets_the_browsable_api(alice_client, negotiations):
    response = alice_client.get(tasks_url(), HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/html")
    assert len(negotiations) == 1


@pytest.mark.parametrize(
    ("accept", "query", "content_type"),
    [
        ("text/html,application/xhtml+xml,*/*;q=0.8", "format=json", "application/json"),
        (None, "format=json", "application/json"),
        (None, "format=api", "text/html"),
        ("*/*", "format=api", "text/html"),
    ],
)
def test_the_format_parameter_still_picks_the_renderer(
    alice_client, negotiations, accept, query, content_type
):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}

    response = alice_client.get(f"{tasks_url()}?{query}", **headers)

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith(content_type)
    assert len(negotiations) == 1


def test_a_format_the_accept_header_refuses_is_a_406_as_before(alice_client):
    # DRF's rule: `?format=` narrows the renderers, and `Accept` must still take one.
    response = alice_client.get(f"{tasks_url()}?format=api", HTTP_ACCEPT="application/json")

    assert response.status_code == HTTPStatus.NOT_ACCEPTABLE
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("url", [tasks_url(), "/api/me/tags", "/api/me/webhooks", "/api/me/events"])
def test_an_unacceptable_type_is_a_json_406(alice_client, url):
    response = alice_client.get(url, HTTP_ACCEPT="image/png")

    assert response.status_code == HTTPStatus.NOT_ACCEPTABLE
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Could not satisfy the request Accept header."}


def test_head_and_options_still_answer(alice_client):
    head = alice_client.head(tasks_url())
    options = alice_client.options(tasks_url())

    assert head.status_code == HTTPStatus.OK
    assert head.content == b""
    assert options.status_code == HTTPStatus.OK
    assert options.json()["name"] == "Task List"
    assert options["Allow"] == "GET, POST, HEAD, OPTIONS"


# --- policies built once ----------------------------------------------------------------


def test_stateless_policies_are_shared_between_requests():
    first, second = TaskViewSet(), TaskViewSet()

    assert first.get_authenticators() is second.get_authenticators()
    assert first.get_permissions() is second.get_permissions()
    assert first.get_parsers() is second.get_parsers()
    assert first.get_content_negotiator() is second.get_content_negotiator()


def test_policies_that_hold_a_request_are_not_shared():
    first, second = TaskViewSet(), TaskViewSet()

    # Throttles keep the request's history; the browsable API's renderer keeps the request.
    assert not set(map(id, first.get_throttles())) & set(map(id, second.get_throttles()))
    assert not set(map(id, first.get_renderers())) & set(map(id, second.get_renderers()))


def test_an_action_with_its_own_policies_gets_its_own_instances():
    plain, own = TaskViewSet(), TaskViewSet(permission_classes=[])

    assert plain.get_permissions() != own.get_permissions()
    assert own.get_permissions() == ()


@pytest.mark.parametrize(
    ("suffix", "allow"),
    [
        ("", "GET, POST, HEAD, OPTIONS"),
        ("/TASK", "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"),
        ("/TASK/complete", "GET, PATCH, HEAD, OPTIONS"),
    ],
    ids=["list", "detail", "complete"],
)
def test_each_route_says_its_own_methods(alice, alice_client, make_task, suffix, allow):
    task = make_task(alice)
    url = tasks_url() + suffix.replace("TASK", str(task.pk))

    # Twice: the second answer comes from the headers worked out for the first.
    responses = [alice_client.get(url), alice_client.get(url)]

    for response in responses:
        assert response.status_code == HTTPStatus.OK
        assert response["Allow"] == allow
        assert response["Vary"].split(", ").count("Accept") == 1
        assert response.renderer_context["view"].allowed_methods == allow.split(", ")


def test_the_task_serializer_states_the_validators_drf_would_derive():
    from tasks.api.serializers import TaskSerializer

    serializer = TaskSerializer()

    assert serializer.get_validators() == []
    assert serializer.get_unique_together_validators() + serializer.get_unique_for_date_validators() == []
