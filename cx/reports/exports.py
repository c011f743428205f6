"""The one CSV writer behind every download and export.

A CSV opened in Excel, LibreOffice or Google Sheets runs any cell that starts
with `=`, `+`, `-`, `@`, a tab or a carriage return as a formula ("CSV
injection"): a customer who writes `=HYPERLINK("http://evil", "click")` as a
comment would otherwise plant a link, or worse, in the report a leader opens.
Every text cell that starts like that gets a leading apostrophe, which
spreadsheets show as plain text (OWASP's advice); numbers and dates are left
as they are, so a negative number stays a number.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula, made inert; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text cell (and column name) neutralised; the input is left alone."""
    safe = frame.copy()
    for column in safe.columns:
        if not (pd.api.types.is_numeric_dtype(safe[column]) or pd.api.types.is_datetime64_any_dtype(safe[column])):
            safe[column] = safe[column].map(neutralise, na_action="ignore")
    return safe.rename(columns=lambda name: neutralise(str(name)))


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The frame as UTF-8 CSV (with a byte-order mark, so Excel reads accents right), formulas neutralised."""
    return safe_frame(frame).to_csv(index=False).encode("utf-8-sig")


def write_csv(frame: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write the frame to `path` as csv_bytes() does; returns the path."""
    target = Path(path)
    target.write_bytes(csv_bytes(frame))
    return target
