"""The page half of `python -m cx bench`: a page's whole script timed with AppTest, in a process of its own.

    python -m cx.app.bench DB PAGE REPEAT      prints one JSON object

Run by `cx.cli.bench` (which must not import Streamlit) once per page, so the peak memory it
reports is that page's alone, the way a fresh server process would use it. The interpreter and
the app's modules are imported before timing: "cold" is a first view with empty caches (a new
data version, a restarted server that already imported its code), not Python's start-up.

- cold: the page's first script run, the caches cleared before each of `repeat` runs;
- warm: a rerun with nothing changed (every figure a cache hit);
- filter change: a different segment chosen in the sidebar before each of `repeat` reruns, so
  every figure is computed anew, the path every exploring leader takes; with the number of queries
  that rerun sent to DuckDB (each compiled by Ibis first, a cost of its own).
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
# Sidebar choices for successive filter changes; each is a state no cache has seen yet.
SEGMENT_CHOICES = (["SMB"], ["Enterprise"], ["Consumer"], ["Mid-market"], ["SMB", "Enterprise"], ["Consumer", "SMB"])


def _open(page: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=600)
    if page != "dashboard.py":
        at.switch_page(page)
    return at


class QueryCounter:
    """While open, counts the queries Ibis sends to DuckDB in this process (the page's script runs in it)."""

    def __enter__(self) -> QueryCounter:
        from ibis.backends.duckdb import Backend

        self.count, self._execute = 0, Backend.execute

        def counted(engine, *args, **kwargs):
            self.count += 1
            return self._execute(engine, *args, **kwargs)

        Backend.execute = counted
        return self

    def __exit__(self, *exc) -> None:
        from ibis.backends.duckdb import Backend

        Backend.execute = self._execute


def _timed_run(at: AppTest) -> float:
    started = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - started
    if at.exception:
        raise RuntimeError(f"the page failed: {at.exception[0].message}")
    return elapsed


def measure(page: str, repeat: int) -> dict:
    import cx.app.ui  # noqa: F401  (the app's modules, imported before the clock starts)

    cold, warm, changed, queries = [], [], [], []
    at = None
    for _ in range(repeat):
        st.cache_data.clear()
        at = _open(page)
        cold.append(_timed_run(at))
    for _ in range(repeat):
        warm.append(_timed_run(at))
    choices = [SEGMENT_CHOICES[i % len(SEGMENT_CHOICES)] for i in range(repeat)]
    for choice in choices:
        at.multiselect(key="filter_segment").set_value(choice)
        with QueryCounter() as counter:
            changed.append(_timed_run(at))
        queries.append(counter.count)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "page": page,
        "runs": repeat,
        "cold_s": statistics.median(cold),
        "warm_s": statistics.median(warm),
        "filter_change_s": statistics.median(changed),
        "filter_change_queries": statistics.median(queries),
        "cold_samples_s": cold,
        "warm_samples_s": warm,
        "filter_change_samples_s": changed,
        "peak_mib": peak_kib / 1024,
    }


def main(argv: list[str]) -> int:
    path, page, repeat = argv[0], argv[1], int(argv[2])
    os.environ["CX_DB"] = str(Path(path).resolve())
    print(json.dumps(measure(page, repeat)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
