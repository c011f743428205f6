"""What lasts for one reading of the data (one read-only opening of the file, one warehouse query block).

The metric layer keeps answers it will be asked for again within a reading on the backend itself, under
MEMO (cx.analysis.rolled.memo). A DuckDB file's backend is new for every reading; a warehouse's
connection outlives it, so `forget` empties the memo when a reading starts (the warehouse may have been
loaded in between). No DuckDB here: the metric layer reads this too.
"""

from __future__ import annotations

from typing import Any

MEMO = "_cx_reading_memo"


def forget(backend: Any) -> None:
    backend.__dict__.pop(MEMO, None)
