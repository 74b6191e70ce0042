"""Who is calling: every way in ends as one opaque user id string.

Ways in must never share an id: an identity provider chooses its own subjects ("1",
"admin", anything), so a Django account's id lives in a namespace of its own,
`local:<pk>`, that no external token may claim (tasks/identity_provider.py refuses it).
This module owns that mapping; everything that turns a user into an owner id calls
`principal_id`.
"""

from __future__ import annotations

from dataclasses import dataclass

# Reserved for this service's own (Django) accounts. Migration 0004 writes the same
# prefix literally, as a migration must not change when this code does.
LOCAL_PREFIX = "local:"


@dataclass(frozen=True)
class ExternalUser:
    """A user vouched for by an external identity provider's token.

    Such a user need not exist in Django's user table; it carries just enough of
    the user interface for DRF (authentication checks).
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


def local_principal_id(pk: object) -> str:
    """The user id that owns a Django account's tasks, e.g. `local:1`."""
    return f"{LOCAL_PREFIX}{pk}"


def is_reserved(subject: str) -> bool:
    """Whether an external subject would claim a local account's id (any letter case,
    so that a case-insensitive collation could not make one match either)."""
    return subject[: len(LOCAL_PREFIX)].lower() == LOCAL_PREFIX


def principal_id(user) -> str:
    """The user id that owns tasks: a token's subject as the provider issued it, or
    `local:<pk>` for a Django account."""
    if isinstance(user, ExternalUser):
        return user.pk
    return local_principal_id(user.pk)
