"""DRF authentication for bearer tokens, whoever issued them."""

from __future__ import annotations

import base64
import binascii

import orjson
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed as IssuedTokenFailed
from rest_framework_simplejwt.exceptions import InvalidToken

from tasks.identity.identity_provider import (
    ExternalTokenError,
    IdentityProviderUnavailable,
    configured_verifier,
)
from tasks.identity.principal import ExternalUser

IDENTITY_PROVIDER_RETRY_AFTER = 5


class IdentityProviderDown(exceptions.APIException):
    """A 503 with Retry-After (DRF sends `wait` as that header): the token may well be
    valid, so the client must not sign its user out."""

    status_code = 503
    default_detail = "The identity provider cannot be reached to check this token; try again shortly."
    default_code = "identity_provider_unavailable"
    wait = IDENTITY_PROVIDER_RETRY_AFTER


class BearerTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <jwt>`: a token this service issued, or an identity provider's.

    Tokens issued here (POST /api/auth/token) carry a `token_type` claim and name a
    Django user; any other token goes to the external verifier, whose user need not
    exist in Django's user table.
    """

    keyword = b"bearer"
    issued_tokens = JWTAuthentication()

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Invalid Authorization header: expected 'Bearer <token>'.")
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Token is malformed.") from None

        if "token_type" in unverified_claims(token):
            return self._authenticate_issued(token)
        return self._authenticate_external(token)

    def authenticate_header(self, request) -> str:
        """The 401's challenge. A bearer token that was sent and refused (expired, tampered,
        unknown) says `invalid_token` (RFC 6750, 3.1), so that a client knows to refresh it
        rather than to sign in from scratch."""
        parts = get_authorization_header(request).split()
        if parts and parts[0].lower() == self.keyword:
            return 'Bearer realm="api", error="invalid_token"'
        return 'Bearer realm="api"'

    def _authenticate_issued(self, token: str):
        try:
            validated = self.issued_tokens.get_validated_token(token.encode())
            return self.issued_tokens.get_user(validated), validated
        except InvalidToken:
            raise exceptions.AuthenticationFailed("Token is invalid or expired.") from None
        except IssuedTokenFailed:
            raise exceptions.AuthenticationFailed("The token's user is unknown or inactive.") from None

    def _authenticate_external(self, token: str):
        verifier = configured_verifier()
        if not verifier.enabled:
            raise exceptions.AuthenticationFailed("Token is invalid or expired.")
        try:
            return ExternalUser(verifier.user_id(token)), token
        except ExternalTokenError as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from None
        except IdentityProviderUnavailable:
            raise IdentityProviderDown from None


def unverified_claims(token: str) -> dict:
    """A JWT's payload, not yet checked: only to tell who issued it, before verifying it."""
    try:
        _header, payload, _signature = token.split(".")
        claims = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, binascii.Error):  # also orjson.JSONDecodeError, a ValueError
        raise exceptions.AuthenticationFailed("Token is malformed.") from None
    if not isinstance(claims, dict):
        raise exceptions.AuthenticationFailed("Token is malformed.")
    return claims
