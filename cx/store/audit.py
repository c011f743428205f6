"""The audit trail: every sign-in, import, undo, export, follow-up change, deck save and settings change.

One call records an event:

    audit.record("import", "crm-export.csv (import #12)", actor=audit.Actor("ana@example.com", "editor"), rows=1200)

A change passes its own connection (`con=`), so the event is written in the
same transaction as the change: either both are stored or neither is.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import pandas as pd

from cx.store.db import connect, db_path, ensure_database, writing

# What can happen. Add a new kind of event here (and to the README's list) before recording it.
ACTIONS = (
    "sign-in",
    "import",
    "undo",
    "export",
    "follow-up",
    "annotation",
    "deck",
    "settings",
    "demo",
    "refused",  # someone tried something their role does not allow
)
VIAS = ("dashboard", "cli", "api")


@dataclass(frozen=True)
class Actor:
    """Who is acting: their e-mail (or login name), their role then, and through what."""

    who: str
    role: str | None = None
    via: str = "dashboard"

    @classmethod
    def operator(cls, role: str | None = None) -> Actor:
        """Whoever runs Python here: $CX_USER, else the login name."""
        return cls(who=os.environ.get("CX_USER") or _login_name(), role=role, via="api")


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def record(
    action: str,
    what: str,
    *,
    actor: Actor,
    rows: int | None = None,
    detail: Mapping[str, Any] | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    db=None,
    timeout_s: float | None = None,
) -> int:
    """Append one event; returns its id. With `con`, inside the caller's transaction."""
    if action not in ACTIONS:
        raise ValueError(f'Unknown audit action "{action}"; add it to cx.store.audit.ACTIONS first.')
    if actor.via not in VIAS:
        raise ValueError(f'Unknown audit channel "{actor.via}"; one of {", ".join(VIAS)}.')
    values = [
        datetime.now(),
        actor.who or "unknown",
        actor.role,
        action,
        what,
        rows,
        json.dumps(dict(detail), ensure_ascii=False, default=str) if detail else None,
        actor.via,
    ]
    statement = """INSERT INTO audit_log (logged_at, who, role, action, what, rows, detail, via)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING event_id"""
    if con is not None:
        return con.execute(statement, values).fetchone()[0]
    with writing(db, timeout_s=timeout_s) as own:
        return own.execute(statement, values).fetchone()[0]


def events(
    db=None,
    *,
    start: date | None = None,
    end: date | None = None,
    who: Sequence[str] = (),
    actions: Sequence[str] = (),
    text: str | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """The log, newest first, filtered: days (inclusive), people, actions, and words in what/detail."""
    conditions, values = [], []
    if start:
        conditions.append("logged_at >= ?")
        values.append(datetime.combine(start, datetime.min.time()))
    if end:
        conditions.append("logged_at < ?")
        values.append(datetime.combine(end + timedelta(days=1), datetime.min.time()))
    if who:
        conditions.append(f"who IN ({', '.join('?' for _ in who)})")
        values += list(who)
    if actions:
        conditions.append(f"action IN ({', '.join('?' for _ in actions)})")
        values += list(actions)
    if text:
        conditions.append("(what ILIKE ? ESCAPE '\\' OR detail::VARCHAR ILIKE ? ESCAPE '\\')")
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        values += [pattern, pattern]
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    bound = f"LIMIT {int(limit)}" if limit else ""
    con = connect(ensure_database(db), read_only=True)
    try:
        return con.execute(
            f"""SELECT event_id, logged_at, who, role, action, what, rows, detail::VARCHAR AS detail, via
                FROM audit_log {where} ORDER BY event_id DESC {bound}""",
            values,
        ).df()
    finally:
        con.close()


def signed_in_already(who: str, token_issued_at: int | float | str, db=None) -> bool:
    """Whether this sign-in (one identity token: who and when it was issued) is already in the log.

    Every new tab or reload is a new session signed in by the same cookie; it is one sign-in."""
    path = db_path(db)
    if not path.exists():
        return False
    con = connect(ensure_database(path), read_only=True)
    try:
        return bool(con.execute(
            """SELECT count(*) FROM audit_log
               WHERE action = 'sign-in' AND who = ? AND json_extract_string(detail, '$.token_issued_at') = ?""",
            [who, str(token_issued_at)],
        ).fetchone()[0])  # fmt: skip
    finally:
        con.close()


def people(db=None) -> list[str]:
    """Everyone who appears in the log, for the page's filter."""
    con = connect(ensure_database(db), read_only=True)
    try:
        return [row[0] for row in con.execute("SELECT DISTINCT who FROM audit_log ORDER BY who").fetchall()]
    finally:
        con.close()
