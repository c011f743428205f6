"""The follow-up workflow's rules: statuses, which may follow which, what a change does.

Pure (no database), so the storage (cx.store.followups) enforces them and the analysis and the
pages read the same definitions.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cx.store.schema import FOLLOWUP_STATUSES

ITEM_FIELDS = ("status", "owner", "contact_channel", "notes", "first_contact_at", "due_at")
STORED_FIELDS = ("customer_id", *ITEM_FIELDS, "closed_at", "version", "updated_at", "updated_by")
OPEN = ("new", "contacted")
REACHED_OUT = ("contacted", "resolved", "no_response")  # statuses that mean someone tried to reach the customer
# Which status may follow which: the workflow new → contacted → resolved / no response / won't fix.
# A closed item can be reopened as contacted; nothing goes back to new (the audit keeps what happened).
MOVES: dict[str, tuple[str, ...]] = {
    "new": ("contacted", "resolved", "no_response", "wont_fix"),
    "contacted": ("resolved", "no_response", "wont_fix"),
    "resolved": ("contacted",),
    "no_response": ("contacted", "resolved", "wont_fix"),
    "wont_fix": ("contacted",),
}
STATUS_LABELS = {
    "new": "New",
    "contacted": "Contacted",
    "resolved": "Resolved",
    "no_response": "No response",
    "wont_fix": "Won't fix",
}
FIELD_LABELS = {
    "status": "status",
    "owner": "owner",
    "contact_channel": "contact channel",
    "notes": "notes",
    "first_contact_at": "first contact",
    "due_at": "due date",
}
SLA_SETTING = "sla"  # the name of the SLA policy in followup_settings
assert set(MOVES) == set(FOLLOWUP_STATUSES)


class InvalidChange(ValueError):
    """A change that breaks a rule (a status that cannot follow, a contact before the answer…)."""


def next_state(
    before: Mapping[str, Any], changes: Mapping[str, Any], *, now: datetime, answered_at: datetime | None = None
) -> dict[str, Any]:
    """The item after `changes`, with the workflow's rules applied; InvalidChange says what is wrong.

    Moving to a status that means someone reached out records the first contact (now, unless the
    change gives an earlier time); closing records when.
    """
    after = dict(before)
    for name, value in changes.items():
        if isinstance(value, str):
            value = value.strip() or None
        after[name] = value
    status_before, status = before.get("status") or "new", after.get("status") or "new"
    if status not in FOLLOWUP_STATUSES:
        raise InvalidChange(f'"{status}" is not a follow-up status: use one of {", ".join(FOLLOWUP_STATUSES)}.')
    if status != status_before and status not in MOVES[status_before]:
        allowed = " or ".join(STATUS_LABELS[s] for s in MOVES[status_before])
        raise InvalidChange(
            f"A {STATUS_LABELS[status_before].lower()} item cannot become {STATUS_LABELS[status].lower()}; "
            f"it can become {allowed}."
        )
    after["status"] = status
    if status in REACHED_OUT and after.get("first_contact_at") is None:
        after["first_contact_at"] = now
    contact = after.get("first_contact_at")
    if contact is not None:
        if contact > now:
            raise InvalidChange(f"The first contact ({contact:%d %b %Y %H:%M}) cannot be in the future.")
        if answered_at is not None and contact < answered_at:
            raise InvalidChange(
                f"The first contact ({contact:%d %b %Y %H:%M}) cannot be before the answer ({answered_at:%d %b %Y %H:%M})."
            )
    if status in OPEN:
        after["closed_at"] = None
    elif status != status_before or after.get("closed_at") is None:
        after["closed_at"] = now
    return after
