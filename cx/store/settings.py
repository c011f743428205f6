"""Settings an admin changes in the dashboard, kept in the database so the dashboard and the command line agree.

A change is written with its audit event in one transaction.
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import datetime
from typing import Any

import duckdb

from cx.store import audit
from cx.store.db import connect, db_path, writing

SALT_KEY = "personal_data.salt"


def get(key: str, default: Any = None, *, db=None, con: duckdb.DuckDBPyConnection | None = None) -> Any:
    """The stored value, or `default` when it was never set (or there is no database yet)."""
    if con is not None:
        return _get(con, key, default)
    path = db_path(db)
    if not path.exists():
        return default
    own = connect(path, read_only=True)
    try:
        return _get(own, key, default)
    finally:
        own.close()


def _get(con: duckdb.DuckDBPyConnection, key: str, default: Any) -> Any:
    try:
        row = con.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
    except duckdb.CatalogException:  # a database from before settings existed
        return default
    return default if row is None else json.loads(row[0])


def put(key: str, value: Any, *, actor: audit.Actor, what: str, db=None) -> None:
    """Store a setting and its audit event ("settings", `what` in plain words) together."""
    before = get(key, db=db)
    with writing(db) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(
                """INSERT INTO settings VALUES (?, ?, ?, ?)
                   ON CONFLICT (key) DO UPDATE SET value = excluded.value, changed_at = excluded.changed_at,
                                                   changed_by = excluded.changed_by""",
                [key, json.dumps(value, ensure_ascii=False), datetime.now(), actor.who],
            )
            audit.record("settings", what, actor=actor, con=con, detail={"key": key, "before": before, "after": value})
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise


def salt(db=None, *, create: bool = False) -> str | None:
    """The secret mixed into every hash of personal data: $CX_PII_SALT, else one made once and kept here.

    The same salt for every file is what lets a hashed e-mail link the same customer across files.
    With `create`, one is made (atomically: one writer at a time) when there is none yet; without,
    None when there is none."""
    if os.environ.get("CX_PII_SALT"):
        return os.environ["CX_PII_SALT"]
    stored = get(SALT_KEY, db=db)
    if stored or not create:
        return stored
    with writing(db) as con:
        con.execute(
            "INSERT INTO settings VALUES (?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
            [SALT_KEY, json.dumps(secrets.token_hex(16)), datetime.now(), None],
        )
        return _get(con, SALT_KEY, None)
