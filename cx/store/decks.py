"""Saved decks: the views a team review walks through, in order, each with its filters.

A slide is a page and the URL parameters that reopen it (filters and the page's own choices),
so a deck replays exactly what the presenter saved. A deck may be frozen `as_of` a moment: its
figures then come only from data imported up to then (see `db.pin`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from cx.store.db import connect, db_path, ensure_database, writing

MAX_NAME = 80


@dataclass(frozen=True)
class Slide:
    page: str  # the page file, e.g. "pages/1_Trends.py"; "dashboard.py" is the Overview
    params: dict[str, list[str]] = field(default_factory=dict)  # URL parameters, filters included

    def to_json(self) -> dict:
        return {"page": self.page, "params": self.params}

    @classmethod
    def from_json(cls, value: dict) -> Slide:
        params = {str(k): [str(v)] if isinstance(v, str) else [str(x) for x in v] for k, v in value["params"].items()}
        return cls(page=str(value["page"]), params=params)


@dataclass(frozen=True)
class Deck:
    name: str
    slides: tuple[Slide, ...]
    as_of: datetime | None = None


def clean_name(name: str) -> str:
    """A deck name as typed, trimmed; a message naming the problem if it cannot be one."""
    cleaned = " ".join(str(name).split())
    if not cleaned:
        raise ValueError("A deck needs a name.")
    if len(cleaned) > MAX_NAME:
        raise ValueError(f"A deck name has at most {MAX_NAME} characters; this one has {len(cleaned)}.")
    return cleaned


def save(deck: Deck, db: str | os.PathLike | None = None) -> Deck:
    """Store the deck under its name, replacing a deck of the same name."""
    name = clean_name(deck.name)
    slides = json.dumps([s.to_json() for s in deck.slides])
    now = datetime.now()
    with writing(db) as con:
        con.execute(
            """INSERT INTO decks (name, slides, as_of, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (name) DO UPDATE SET slides = excluded.slides, as_of = excluded.as_of,
                                               updated_at = excluded.updated_at""",
            [name, slides, deck.as_of, now, now],
        )
    return Deck(name, tuple(deck.slides), deck.as_of)


def load(name: str, db: str | os.PathLike | None = None) -> Deck | None:
    if not db_path(db).exists():
        return None  # looking for a deck never creates a database (warehouse mode has no local file)
    con = connect(ensure_database(db), read_only=True)
    try:
        row = con.execute(
            "SELECT name, slides, as_of FROM decks WHERE name = ?", [" ".join(str(name).split())]
        ).fetchone()
    finally:
        con.close()
    if row is None:
        return None
    return Deck(row[0], tuple(Slide.from_json(s) for s in json.loads(row[1])), row[2])


def names(db: str | os.PathLike | None = None) -> list[str]:
    if not db_path(db).exists():
        return []
    con = connect(ensure_database(db), read_only=True)
    try:
        return [r[0] for r in con.execute("SELECT name FROM decks ORDER BY lower(name)").fetchall()]
    finally:
        con.close()


def listing(db: str | os.PathLike | None = None) -> pd.DataFrame:
    """Every deck with its number of slides and frozen moment, for the command line and the app."""
    con = connect(ensure_database(db), read_only=True)
    try:
        return con.execute(
            """SELECT name, json_array_length(slides) AS slides, as_of, updated_at FROM decks ORDER BY lower(name)"""
        ).df()
    finally:
        con.close()


def delete(name: str, db: str | os.PathLike | None = None) -> bool:
    with writing(db) as con:
        return con.execute("DELETE FROM decks WHERE name = ? RETURNING name", [name]).fetchone() is not None
