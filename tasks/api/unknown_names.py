"""Names a client sent that the API does not know: each is refused by name, with the
known name it most likely meant, rather than silently dropped (a misspelt `dueAt`
would otherwise lose the user's due date without a word)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def unknown_name_errors(
    given: Iterable[str], *, known: Iterable[str], ignored: Iterable[str] = ()
) -> dict[str, list[str]]:
    """{name: [message]} for each of `given` that is neither known nor ignored.

    `known` are the names a client should send (suggested when close); `ignored` are
    also accepted but never suggested (fields the API returns, form plumbing).
    """
    known = sorted(set(known))
    accepted = set(known) | set(ignored)
    return {name: [_message(name, known)] for name in sorted(set(given)) if name not in accepted}


def _message(name: str, known: list[str]) -> str:
    # Case-insensitive, so that `dueAt` is as close to `due_at` as `due_At` would be.
    by_lower = {candidate.lower(): candidate for candidate in known}
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.6)
    if close:
        return f"Received unknown parameter: {name}. Did you mean {by_lower[close[0]]}?"
    return f"Received unknown parameter: {name}. Known: {', '.join(known)}."
