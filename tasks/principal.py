"""Who is calling: every way in ends as one opaque user id string."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExternalUser:
    """A user vouched for by an external identity provider's token.

    Such a user need not exist in Django's user table; it carries just enough of
    the user interface for DRF (authentication checks, throttling by `pk`).
    """

    pk: str
    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False

    @property
    def id(self) -> str:
        return self.pk

    def __str__(self) -> str:
        return self.pk


def principal_id(user) -> str:
    """The user id that owns tasks: a Django user's primary key, or a token's subject."""
    return str(user.pk)
