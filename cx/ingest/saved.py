"""Mappings saved under a name, and proposed again for the next file with the same headers.

A monthly export keeps its columns; once a user has corrected its mapping, the next
month's file should import right without being corrected again.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime

from cx.store.db import DatabaseBusy, connect, db_path, writing


@dataclass(frozen=True)
class SavedMapping:
    name: str
    mapping: dict[str, str]
    headers: list[str]
    kind: str | None = None
    date_order: str | None = None


def headers_key(headers: list[str]) -> str:
    """The same for files whose headers are the same, in any order, whatever their case or spacing."""
    names = sorted({" ".join(h.lower().split()) for h in headers})
    return hashlib.sha256(json.dumps(names).encode()).hexdigest()[:32]


def save_mapping(name: str, headers: list[str], mapping: dict[str, str], db=None, *, kind: str | None = None,
                 date_order: str | None = None, saved_by: str | None = None) -> SavedMapping:  # fmt: skip
    """Save (or replace) the mapping `name` for files with these headers."""
    name = " ".join(name.split())
    if not name:
        raise ValueError("A saved mapping needs a name.")
    with writing(db) as con:
        con.execute("DELETE FROM saved_mappings WHERE name = ?", [name])
        con.execute(
            "INSERT INTO saved_mappings VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [name, headers_key(headers), json.dumps(headers, ensure_ascii=False), json.dumps(mapping, ensure_ascii=False),
             kind, date_order, datetime.now(), saved_by or os.environ.get("USER")],
        )  # fmt: skip
    return SavedMapping(name, dict(mapping), list(headers), kind, date_order)


def _rows(db, where: str = "", params: list | None = None) -> list[SavedMapping]:
    path = db_path(db)
    if not path.exists():
        return []
    try:
        con = connect(path, read_only=True, timeout_s=5)
    except DatabaseBusy:
        return []
    try:
        exists = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'saved_mappings'"
        ).fetchall()[0][0]
        if not exists:  # a database from before saved mappings
            return []
        rows = con.execute(
            f"SELECT name, mapping, headers, kind, date_order FROM saved_mappings {where} ORDER BY saved_at DESC",
            params or [],
        ).fetchall()
    finally:
        con.close()
    return [SavedMapping(n, json.loads(m), json.loads(h), k, d) for n, m, h, k, d in rows]


def saved_mappings(db=None) -> list[SavedMapping]:
    """Every saved mapping, the most recent first."""
    return _rows(db)


def saved_mapping(name: str, db=None) -> SavedMapping | None:
    found = _rows(db, "WHERE name = ?", [name])
    return found[0] if found else None


def saved_mapping_for(headers: list[str], db=None) -> SavedMapping | None:
    """The most recently saved mapping for files with these headers, if any."""
    found = _rows(db, "WHERE headers_key = ?", [headers_key(headers)])
    return found[0] if found else None
