"""Storing the follow-up queue: items, the SLA setting, "you said, we did" actions, and their audit.

Every change goes through one function per kind of thing changed — `change_items` for queue
items, `save_setting` for the SLA, `record_action` / `delete_action` for actions — and each of
them starts with `require_editor(actor)`: the one place where the role check sits. Callers decide
who the actor is and whether they may edit (the app from the signed-in user, the command line from
its options); this module refuses a viewer whatever the caller forgot.

Optimistic concurrency: a change says which version of the item its author was looking at. If the
stored item has moved on since (someone else saved meanwhile), nothing is written and the change
comes back as a `Conflict` naming who changed what, so the author can look and save again; two
people editing one item never silently overwrite each other. Only the fields a change names are
written, so two people changing different fields of an item keep both changes once the second has
looked at the first.

Writes use the same short-lived connections as imports (`db.writing`), so the command line and a
scheduled import keep working while people edit.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import duckdb

from cx.store import audit
from cx.store.db import connect, ensure_database, writing
from cx.store.followup_rules import (
    FIELD_LABELS,
    ITEM_FIELDS,
    SLA_SETTING,
    STORED_FIELDS,
    InvalidChange,
    next_state,
)
from cx.store.schema import SURVEY_SCALES


@dataclass(frozen=True)
class Actor:
    """Who makes a change, and whether their role lets them (decided by the caller's sign-in).

    `role` and `via` go to the audit log (cx.store.audit) with the event each change writes there."""

    name: str
    can_edit: bool = True
    role: str | None = None
    via: str = "dashboard"


class NotAllowed(PermissionError):
    """The actor may look at the queue but not change it."""


@dataclass
class Conflict(Exception):
    """The item changed since its editor looked at it; nothing of this change was written."""

    response_id: str
    expected_version: int
    current: dict[str, Any]  # the item as stored now
    changed_by: str | None
    changed_at: datetime | None
    theirs: dict[str, Any] = field(default_factory=dict)  # fields the other person changed: new values

    def __post_init__(self) -> None:
        super().__init__(self.message)

    @property
    def message(self) -> str:
        who = self.changed_by or "someone else"
        when = f" at {self.changed_at:%H:%M}" if self.changed_at else ""
        changed = ", ".join(FIELD_LABELS.get(name, name) for name in self.theirs) or "this item"
        return (
            f"Changed by {who} meanwhile{when}: {changed}. Your changes were not saved; they are kept in the "
            "form — check them against the new values and save again."
        )


@dataclass(frozen=True)
class ItemChange:
    """Set some fields of one queue item, from the version its author saw (0 = never saved)."""

    response_id: str
    expected_version: int
    changes: Mapping[str, Any]
    customer_id: str | None = None
    answered_at: datetime | None = None  # when the answer came: a contact cannot be earlier


@dataclass
class ChangeResult:
    saved: list[dict[str, Any]] = field(default_factory=list)  # the items as stored after the change
    conflicts: list[Conflict] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # changes that would not change anything


def require_editor(actor: Actor) -> None:
    """The role check for every change to the follow-up tables."""
    if not actor.name or not actor.name.strip():
        raise NotAllowed("Say who you are before changing the follow-up queue: every change records its author.")
    if not actor.can_edit:
        raise NotAllowed(
            f"{actor.name} may look at the follow-up queue but not change it: only editors can. "
            "Ask an admin for the editor role."
        )


# --- queue items -------------------------------------------------------------------------------


def change_items(
    db: str | os.PathLike | None,
    changes: Sequence[ItemChange],
    actor: Actor,
    *,
    now: datetime | None = None,
    skip_conflicts: bool = False,
) -> ChangeResult:
    """The one way the queue changes: check the role, then each change against the stored version.

    All in one transaction. With `skip_conflicts` (bulk assignment) items changed meanwhile are left
    out and reported; otherwise the first conflict stops everything and is raised.
    """
    require_editor(actor)
    now = now or datetime.now()
    result = ChangeResult()
    with writing(db) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            for change in changes:
                outcome = _change_one(con, change, actor, now)
                if isinstance(outcome, Conflict):
                    if not skip_conflicts:
                        raise outcome
                    result.conflicts.append(outcome)
                elif outcome is None:
                    result.unchanged.append(change.response_id)
                else:
                    result.saved.append(outcome)
            if result.saved:
                changed = sorted({name for item in result.saved for name in item.get("_changed", ())})
                what = (
                    f"item {result.saved[0]['response_id']}" if len(result.saved) == 1 else f"{len(result.saved)} items"
                )
                _log(con, actor, f"{what}: {', '.join(changed)}", rows=len(result.saved))
            for item in result.saved:
                item.pop("_changed", None)
            con.execute("COMMIT")
        except (duckdb.TransactionException, duckdb.ConstraintException) as error:
            # Another thread of this process wrote the same item first (an update conflict, or both
            # creating it): report it as the conflict it is.
            _rollback(con)
            if isinstance(error, duckdb.ConstraintException) and "duplicate key" not in str(error).lower():
                raise
            raise _conflict_after_race(db, changes[0]) from None
        except BaseException:
            _rollback(con)
            raise
    return result


def save_item(
    db: str | os.PathLike | None, change: ItemChange, actor: Actor, *, now: datetime | None = None
) -> dict[str, Any] | None:
    """One item's change (the page's Save button); raises Conflict. None when nothing changed."""
    result = change_items(db, [change], actor, now=now)
    return result.saved[0] if result.saved else None


def _change_one(con, change: ItemChange, actor: Actor, now: datetime) -> dict | Conflict | None:
    unknown = set(change.changes) - set(ITEM_FIELDS)
    if unknown:
        raise InvalidChange(f"Cannot change {', '.join(sorted(unknown))} of a follow-up item.")
    stored = _stored(con, change.response_id)
    version = stored["version"] if stored else 0
    if version != change.expected_version:
        return _conflict(con, change, stored)
    before = stored or _new_item(change)
    after = next_state(before, dict(change.changes), now=now, answered_at=change.answered_at)
    changed = [name for name in ITEM_FIELDS + ("closed_at",) if after.get(name) != before.get(name)]
    if not changed:
        return None
    after.update(version=version + 1, updated_at=now, updated_by=actor.name)
    if after.get("customer_id") is None:
        after["customer_id"] = change.customer_id
    values = [after[name] for name in STORED_FIELDS]
    if stored:
        updated = con.execute(
            f"""UPDATE followups SET {", ".join(f"{name} = ?" for name in STORED_FIELDS)}
                WHERE response_id = ? AND version = ? RETURNING version""",
            [*values, change.response_id, version],
        ).fetchall()
        if not updated:  # cannot happen inside our transaction, but never write blind
            return _conflict(con, change, _stored(con, change.response_id))
    else:
        con.execute(
            f"INSERT INTO followups (response_id, {', '.join(STORED_FIELDS)}) VALUES (?{', ?' * len(STORED_FIELDS)})",
            [change.response_id, *values],
        )
    _audit(
        con,
        "item",
        actor,
        now,
        version=version + 1,
        response_id=change.response_id,
        before={name: before.get(name) for name in changed},
        after={name: after.get(name) for name in changed},
    )
    return {"response_id": change.response_id, **after, "_changed": changed}


def _new_item(change: ItemChange) -> dict[str, Any]:
    return {name: None for name in STORED_FIELDS} | {"status": "new", "customer_id": change.customer_id, "version": 0}


def _stored(con, response_id: str) -> dict[str, Any] | None:
    row = con.execute(
        f"SELECT {', '.join(STORED_FIELDS)} FROM followups WHERE response_id = ?", [response_id]
    ).fetchone()
    return dict(zip(STORED_FIELDS, row, strict=True)) if row else None


def _conflict(con, change: ItemChange, stored: dict | None) -> Conflict:
    """What the other person did since the author's version, from the audit."""
    rows = con.execute(
        """SELECT changed_by, changed_at, after FROM followup_changes
           WHERE subject = 'item' AND response_id = ? AND version > ? ORDER BY version""",
        [change.response_id, change.expected_version],
    ).fetchall()
    theirs: dict[str, Any] = {}
    for _, _, after in rows:
        theirs.update(json.loads(after) if after else {})
    current = stored or _new_item(change)
    return Conflict(
        response_id=change.response_id,
        expected_version=change.expected_version,
        current=current,
        changed_by=rows[-1][0] if rows else current.get("updated_by"),
        changed_at=rows[-1][1] if rows else current.get("updated_at"),
        theirs={name: current.get(name) for name in theirs if name in ITEM_FIELDS},
    )


def _conflict_after_race(db, change: ItemChange) -> Conflict:
    with writing(db) as con:
        return _conflict(con, change, _stored(con, change.response_id))


# --- settings (the SLA) ------------------------------------------------------------------------


def read_setting(db: str | os.PathLike | None, name: str = SLA_SETTING) -> tuple[dict | None, int]:
    """A stored setting and its version (None, 0 when never saved)."""
    with _reading(db) as con:
        return _setting(con, name)


def _setting(con, name: str) -> tuple[dict | None, int]:
    row = con.execute("SELECT value, version FROM followup_settings WHERE name = ?", [name]).fetchone()
    return (json.loads(row[0]), int(row[1])) if row else (None, 0)


def save_setting(
    db: str | os.PathLike | None,
    value: Mapping[str, Any],
    expected_version: int,
    actor: Actor,
    *,
    name: str = SLA_SETTING,
    now: datetime | None = None,
) -> int:
    """Store a setting (JSON) if nobody changed it since `expected_version`; returns the new version."""
    require_editor(actor)
    now = now or datetime.now()
    with writing(db) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            before, version = _setting(con, name)
            if version != expected_version:
                who, when = con.execute(
                    "SELECT updated_by, updated_at FROM followup_settings WHERE name = ?", [name]
                ).fetchone()
                raise Conflict(name, expected_version, before or {}, who, when, theirs={"setting": name})
            text = json.dumps(dict(value), default=_json_default, sort_keys=True)
            con.execute(
                """INSERT INTO followup_settings VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (name) DO UPDATE SET value = excluded.value, version = excluded.version,
                       updated_at = excluded.updated_at, updated_by = excluded.updated_by""",
                [name, text, version + 1, now, actor.name],
            )
            _audit(con, name, actor, now, version=version + 1, before=before, after=json.loads(text))
            _log(con, actor, f"the {name} setting (version {version + 1})", action="settings")
            con.execute("COMMIT")
        except BaseException:
            _rollback(con)
            raise
    return version + 1


# --- "you said, we did" ------------------------------------------------------------------------

ACTION_FIELDS = ("title", "taken_on", "touchpoint", "theme", "metric", "description")
ACTION_METRICS = ("csat", "nps", "ces")


def record_action(
    db: str | os.PathLike | None,
    actor: Actor,
    *,
    title: str,
    taken_on: date,
    touchpoint: str | None = None,
    theme: str | None = None,
    metric: str = "csat",
    description: str | None = None,
    now: datetime | None = None,
) -> int:
    """Record what was done about a touchpoint or a theme; returns the action's id."""
    require_editor(actor)
    now = now or datetime.now()
    title, touchpoint, theme = (v.strip() if isinstance(v, str) else v for v in (title, touchpoint, theme))
    if not title:
        raise InvalidChange("An action needs a title: what was done, in a few words.")
    if not touchpoint and not theme:
        raise InvalidChange("Say which touchpoint or theme the action was about.")
    if metric not in SURVEY_SCALES:
        raise InvalidChange(f"The before/after test can use {', '.join(SURVEY_SCALES)}, not {metric!r}.")
    if taken_on > now.date():
        raise InvalidChange(f"{taken_on:%d %b %Y} is in the future: record an action once it is taken.")
    values = dict(
        title=title,
        taken_on=taken_on,
        touchpoint=touchpoint or None,
        theme=theme or None,
        metric=metric,
        description=(description or "").strip() or None,
    )
    with writing(db) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            action_id = con.execute(
                f"""INSERT INTO followup_actions (action_id, {", ".join(ACTION_FIELDS)}, recorded_at, recorded_by)
                    VALUES (nextval('followup_action_seq'), ?, ?, ?, ?, ?, ?, ?, ?) RETURNING action_id""",
                [*values.values(), now, actor.name],
            ).fetchone()[0]
            _audit(con, "action", actor, now, action_id=action_id, before=None, after=values)
            _log(con, actor, f"recorded the action {title!r}")
            con.execute("COMMIT")
        except BaseException:
            _rollback(con)
            raise
    return int(action_id)


def delete_action(db: str | os.PathLike | None, action_id: int, actor: Actor, *, now: datetime | None = None) -> bool:
    """Remove an action recorded by mistake (the audit keeps it); False when there is no such action."""
    require_editor(actor)
    now = now or datetime.now()
    with writing(db) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            row = con.execute(
                f"SELECT {', '.join(ACTION_FIELDS)} FROM followup_actions WHERE action_id = ?", [action_id]
            ).fetchone()
            if row:
                con.execute("DELETE FROM followup_actions WHERE action_id = ?", [action_id])
                before = dict(zip(ACTION_FIELDS, row, strict=True))
                _audit(con, "action", actor, now, action_id=action_id, before=before, after=None)
                _log(con, actor, f"deleted the action {before['title']!r}")
            con.execute("COMMIT")
        except BaseException:
            _rollback(con)
            raise
    return row is not None


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back, unless a failed COMMIT already ended the transaction."""
    try:
        con.execute("ROLLBACK")
    except duckdb.TransactionException:
        pass


@contextmanager
def _reading(db: str | os.PathLike | None) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(ensure_database(db), read_only=True)
    try:
        yield con
    finally:
        con.close()


# --- the audit ---------------------------------------------------------------------------------


def _json_default(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _dumps(value: Mapping | None) -> str | None:
    return None if value is None else json.dumps(dict(value), default=_json_default, sort_keys=True)


def _log(con, actor: Actor, what: str, *, rows: int | None = None, action: str = "follow-up") -> None:
    """The event in the shared audit log (who did what, for the admin's Audit page), in the same transaction."""
    audit.record(action, what, actor=audit.Actor(actor.name, role=actor.role, via=actor.via), rows=rows, con=con)


def _audit(
    con,
    subject: str,
    actor: Actor,
    now: datetime,
    *,
    version: int | None = None,
    response_id: str | None = None,
    action_id: int | None = None,
    before: Mapping | None,
    after: Mapping | None,
) -> None:
    con.execute(
        """INSERT INTO followup_changes
           (change_id, subject, response_id, action_id, version, changed_at, changed_by, before, after)
           VALUES (nextval('followup_change_seq'), ?, ?, ?, ?, ?, ?, ?, ?)""",
        [subject, response_id, action_id, version, now, actor.name, _dumps(before), _dumps(after)],
    )


def history(db: str | os.PathLike | None, response_id: str) -> list[dict[str, Any]]:
    """Every change to one item, oldest first: who, when, before, after."""
    with _reading(db) as con:
        rows = con.execute(
            """SELECT version, changed_at, changed_by, before, after FROM followup_changes
               WHERE subject = 'item' AND response_id = ? ORDER BY change_id""",
            [response_id],
        ).fetchall()
    return [
        {
            "version": version,
            "changed_at": changed_at,
            "changed_by": changed_by,
            "before": json.loads(before) if before else {},
            "after": json.loads(after) if after else {},
        }
        for version, changed_at, changed_by, before, after in rows
    ]
