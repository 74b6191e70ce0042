"""Sign-in lockout (django-axes): too many wrong passwords for one username from one
address lock that pair out for a while, on every way in that checks a password: the
admin's and the browsable API's login forms and `POST /api/auth/token`.

A locked-out attempt is refused before the password is hashed (PBKDF2 is a CPU lever
an attacker could otherwise pull). Attempts are counted in the database (axes'
database handler), shared by every process and untouched by a Redis outage.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from rest_framework.throttling import BaseThrottle
from rest_framework_simplejwt import serializers as simplejwt

_ADDRESS = BaseThrottle()


def client_ip(request) -> str:
    """The client's address as the API's throttles see it (NUM_PROXIES decides which
    X-Forwarded-For entry to trust), so that a forged header buys no fresh attempts."""
    return _ADDRESS.get_ident(request)


# axes stores the username in a varchar(255): anything longer cannot be an account here
# (Django's usernames are at most 150) and must not fail the sign-in with a 500.
USERNAME_KEPT = 255


def attempted_username(request, credentials=None) -> str | None:
    """The username tried, as axes would read it, cut to what its table holds."""
    field = settings.AXES_USERNAME_FORM_FIELD
    source = credentials or getattr(request, "data", request.POST)
    username = source.get(field)
    if not isinstance(username, str):
        return None
    return username.replace("\x00", "")[:USERNAME_KEPT]


def lockout_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """429 with Retry-After: JSON under /api/, plain text for the login forms."""
    message = (
        f"Too many failed sign-ins for this account from this address; "
        f"try again in {lockout_seconds() // 60} minutes."
    )
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": message}, status=429)
    else:
        response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(lockout_seconds())
    return response


class TokenObtainPairSerializer(simplejwt.TokenObtainPairSerializer):
    """simplejwt's, which also clears the pair's failed attempts once its password is
    right, as a login form's sign-in does (simplejwt sends no `user_logged_in`)."""

    def validate(self, attrs):
        data = super().validate(attrs)
        from axes.utils import reset

        reset(ip=client_ip(self.context["request"]), username=attrs[self.username_field])
        return data


def mark_django_request(sender, request, **kwargs) -> None:
    """axes marks the request it was given; for `/api/auth/token` that is DRF's wrapper,
    which AxesMiddleware never sees. Mark the Django request beneath it too."""
    django_request = getattr(request, "_request", None)
    if django_request is not None:
        django_request.axes_locked_out = True
        django_request.axes_credentials = getattr(request, "axes_credentials", None)


def connect_signals() -> None:
    from axes.signals import user_locked_out

    user_locked_out.connect(mark_django_request, dispatch_uid="tasks.identity.login_lockout")
