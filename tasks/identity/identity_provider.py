"""Verification of JWTs from an external identity provider (SPEC section 3b).

HS256 with a shared secret (`AUTH_JWT_SECRET`), or RS256/ES256/EdDSA with keys
from a JWKS URL (`AUTH_JWKS_URL`), whose key set is cached and fetched again
when a token names a key id the cache does not know. When the key set cannot be
fetched, a token is neither valid nor invalid: the provider is unavailable (a 503
the client retries, rather than a 401 that signs its user out).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import lru_cache

import jwt
from django.conf import settings

from config.circuit_breaker import CircuitBreaker
from tasks.identity.principal import LOCAL_PREFIX, is_reserved

ASYMMETRIC_ALGORITHMS = ("RS256", "ES256", "EdDSA")
# Seconds a token is still accepted past its `exp` (clock skew between machines).
LEEWAY = 30
# A key set fetch that takes longer has failed: the request's answer (a 503) must come
# within 2 s. After a failed fetch, none is tried for JWKS_RETRY_SECONDS.
JWKS_TIMEOUT = 1.5
JWKS_RETRY_SECONDS = 5


class ExternalTokenError(Exception):
    """The token is not one the configured identity provider signed, or not valid now."""


class IdentityProviderUnavailable(Exception):
    """The provider's key set could not be fetched: the token cannot be checked now."""


class GuardedJWKClient(jwt.PyJWKClient):
    """PyJWT's key set client, which stops asking an unreachable provider for a while
    (a hung one would otherwise cost every request with an uncached key the timeout)."""

    def __init__(self, uri: str, **kwargs) -> None:
        super().__init__(uri, **kwargs)
        self.breaker = CircuitBreaker("Identity provider's key set", cooldown=JWKS_RETRY_SECONDS)

    def fetch_data(self):
        if not self.breaker.allows_call():
            raise jwt.PyJWKClientConnectionError("The key set was unreachable moments ago; not fetched.")
        try:
            data = super().fetch_data()
        except jwt.PyJWKClientConnectionError:
            self.breaker.failed()
            raise
        self.breaker.succeeded()
        return data


class RecentlyVerifiedTokens:
    """Tokens this process verified lately, each with the user id it names.

    A client sends the same token with every request until it expires; checking its
    signature and claims again each time was a tenth of the CPU of a request. An entry
    is forgotten at the token's own expiry (as `jwt.decode` would judge it) or after
    `max_age` seconds, whichever comes first, so a key withdrawn from the JWKS stops
    working here no later than the key set cache (300 s) lets it anyway.
    """

    def __init__(
        self, *, max_entries: int = 10_000, max_age: float = 60, clock: Callable[[], float] = time.time
    ) -> None:
        self.max_entries = max_entries
        self.max_age = max_age
        self.clock = clock
        self._entries: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def get(self, token: str) -> str | None:
        entry = self._entries.get(token)
        if entry is None:
            return None
        user_id, valid_until = entry
        if self.clock() >= valid_until:
            with self._lock:  # add() may be walking the entries in another thread
                self._entries.pop(token, None)
            return None
        return user_id

    def add(self, token: str, user_id: str, *, expires_at: float) -> None:
        valid_until = min(expires_at + LEEWAY, self.clock() + self.max_age)
        with self._lock:
            while len(self._entries) >= self.max_entries:
                del self._entries[next(iter(self._entries))]  # the oldest entry
            self._entries[token] = (user_id, valid_until)


class ExternalTokenVerifier:
    def __init__(
        self,
        *,
        secret: str = "",
        jwks_url: str = "",
        issuer: str = "",
        audience: str = "",
        user_claim: str = "sub",
    ) -> None:
        self.secret = secret
        self.jwks_client = (
            GuardedJWKClient(jwks_url, cache_jwk_set=True, lifespan=300, timeout=JWKS_TIMEOUT)
            if jwks_url
            else None
        )
        self.issuer = issuer or None
        # A comma list: a deployment's tokens may be for the API (a front end's) or for its
        # MCP endpoint (an OAuth connector's, whose audience is the /mcp URL); any one does.
        self.audience = [name.strip() for name in audience.split(",") if name.strip()] or None
        self.user_claim = user_claim
        self.recently_verified = RecentlyVerifiedTokens()

    @property
    def enabled(self) -> bool:
        return bool(self.secret or self.jwks_client)

    def user_id(self, token: str) -> str:
        """Verify the token and return the user id it names; raise ExternalTokenError if not."""
        user_id = self.recently_verified.get(token)
        if user_id is None:
            claims = self._verified_claims(token)
            user_id = self._user_id_in(claims)
            self.recently_verified.add(token, user_id, expires_at=int(claims["exp"]))  # as jwt.decode read it
        return user_id

    def _verified_claims(self, token: str) -> dict:
        key, algorithm = self._key_for(token)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                issuer=self.issuer,
                audience=self.audience,
                options={"require": ["exp"], "verify_aud": self.audience is not None},
                leeway=LEEWAY,
            )
        except jwt.ExpiredSignatureError as exc:
            raise ExternalTokenError("Token has expired.") from exc
        except jwt.InvalidIssuerError as exc:
            raise ExternalTokenError("Token has the wrong issuer.") from exc
        except jwt.InvalidAudienceError as exc:
            raise ExternalTokenError("Token has the wrong audience.") from exc
        except jwt.InvalidTokenError as exc:
            raise ExternalTokenError("Token is invalid.") from exc
        return claims

    def _user_id_in(self, claims: dict) -> str:
        user_id = claims.get(self.user_claim)
        if isinstance(user_id, int) and not isinstance(user_id, bool):
            user_id = str(user_id)
        # A "/" cannot be a path segment, and a NUL cannot be stored (PostgreSQL text).
        if (
            not isinstance(user_id, str)
            or not user_id
            or len(user_id) > 255
            or any(c in user_id for c in "/\x00")
        ):
            raise ExternalTokenError(f"Token has no usable '{self.user_claim}' claim.")
        # Ids in this namespace are this service's own accounts: no provider may claim one.
        if is_reserved(user_id):
            raise ExternalTokenError(
                f"Token's '{self.user_claim}' claim starts with '{LOCAL_PREFIX}', which is "
                "reserved for this service's own accounts."
            )
        return user_id

    def _key_for(self, token: str):
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise ExternalTokenError("Token is malformed.") from exc
        algorithm = header.get("alg")
        # Each key is used only with the algorithm family it was configured for, so
        # neither `alg: none` nor a public key passed off as an HMAC secret gets through.
        if algorithm == "HS256" and self.secret:
            return self.secret, algorithm
        if algorithm in ASYMMETRIC_ALGORITHMS and self.jwks_client:
            try:
                # The PyJWK itself, not its bare key: jwt.decode then refuses a header
                # `alg` that does not fit the key (ES256 with an RSA kid) as an invalid
                # token, where a bare key of the wrong type raises TypeError (a 500).
                return self.jwks_client.get_signing_key_from_jwt(token), algorithm
            except jwt.PyJWKClientConnectionError as exc:
                raise IdentityProviderUnavailable(str(exc)) from exc
            except (jwt.PyJWKClientError, jwt.InvalidTokenError) as exc:
                raise ExternalTokenError("Token is signed with an unknown key.") from exc
        raise ExternalTokenError("Token uses an algorithm that is not accepted.")


@lru_cache(maxsize=1)
def configured_verifier() -> ExternalTokenVerifier:
    """The verifier for the settings in force, built once per process (keys stay cached)."""
    return ExternalTokenVerifier(
        secret=settings.AUTH_JWT_SECRET,
        jwks_url=settings.AUTH_JWKS_URL,
        issuer=settings.AUTH_JWT_ISSUER,
        audience=settings.AUTH_JWT_AUDIENCE,
        user_claim=settings.AUTH_JWT_USER_CLAIM,
    )
