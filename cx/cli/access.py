"""The operator's role for the command line's writing commands (import, undo, demo --force, follow-ups).

Where a roles file exists, $CX_USER names the operator (their e-mail address) and
the same roles file as the dashboard decides what they may do. Without a roles
file the command line works as it always did, for whoever runs it.

    actor = access.require("editor", "importing files")   # raises NotAllowed: exit status 3, message on stderr
"""

from __future__ import annotations

import os

from cx import access
from cx.store import audit

EXIT_NOT_ALLOWED = 3


class NotAllowed(Exception):
    """The operator's role does not allow the command; nothing was changed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def operator() -> access.Person | None:
    """Who runs the command, as the roles file sees them; None when there is no roles file."""
    try:
        config = access.load_roles()
    except access.RolesFileError as error:
        raise NotAllowed(f"The roles file cannot be used, so nothing may be changed: {error}") from None
    if config is None:
        return None
    email = (os.environ.get("CX_USER") or "").strip()
    if not email:
        raise NotAllowed(
            f"A roles file ({config.path}) says who may change data, so set CX_USER to your e-mail address "
            "to say who you are, e.g. CX_USER=ana@example.com python -m cx import FILE."
        )
    return config.person(email)


def require(role: str, action: str) -> audit.Actor:
    """The operator as the audit trail records them, if their role allows `action`; else NotAllowed."""
    person = operator()
    if person is None:
        return audit.Actor(os.environ.get("CX_USER") or audit.Actor.operator().who, via="cli")
    if not person.has(role):
        raise NotAllowed(access.refusal(person, role, action) + " Nothing was changed.")
    return audit.Actor(person.email, role=person.role, via="cli")


def only_by(actor: audit.Actor) -> str | None:
    """For undo: None when the operator may undo anyone's import (admin, or no roles file), else their e-mail."""
    return None if actor.role in (None, "admin") else actor.who
