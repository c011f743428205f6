"""Annotations: a leader names an event on a day ("new billing system live"), and every chart of that
metric shows it, with a before/after test across it (cx.analysis.trends.across_annotation).

Reading goes through cx.analysis.trends.annotations (Ibis, like every other figure); this module writes.
"""

from __future__ import annotations

import os
from datetime import date, datetime

from cx.store.db import writing

MAX_LABEL = 80


def clean_label(label: str) -> str:
    """The label as typed, trimmed; a message naming the problem if it cannot be one."""
    cleaned = " ".join(str(label).split())
    if not cleaned:
        raise ValueError("An annotation needs a label, e.g. “New billing system live”.")
    if len(cleaned) > MAX_LABEL:
        raise ValueError(f"An annotation label has at most {MAX_LABEL} characters; this one has {len(cleaned)}.")
    return cleaned


def add(metric: str | None, day: date, label: str, author: str, db: str | os.PathLike | None = None) -> int:
    """Store an annotation (metric None = every metric); returns its id."""
    text = clean_label(label)
    with writing(db) as con:
        return con.execute(
            """INSERT INTO annotations (metric, day, label, author, created_at) VALUES (?, ?, ?, ?, ?)
               RETURNING annotation_id""",
            [metric, day, text, author or "unknown", datetime.now()],
        ).fetchone()[0]


def remove(annotation_id: int, db: str | os.PathLike | None = None) -> bool:
    """Delete one annotation; False when there was none with that id."""
    with writing(db) as con:
        return bool(
            con.execute("DELETE FROM annotations WHERE annotation_id = ? RETURNING 1", [annotation_id]).fetchall()
        )
