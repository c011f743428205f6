"""Benchmark: how long the dashboard's queries take on the demo database, against a raw-SQL baseline.

  python -m cx bench [--db PATH] [--customers N] [--interactions N] [--responses N] [--repeat N]

Prints figures and ratios; asserts nothing. The baseline is the same headline
figure written as one hand-made DuckDB query in the same process, so the ratio
shows what the Ibis metric layer (filters, grouping, sufficient statistics)
costs over the bare engine on this machine.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import duckdb

from cx.analysis import metrics
from cx.analysis.filters import Filters
from cx.ingest import comments, demo
from cx.store import db


def timed(function: Callable[[], object], repeat: int) -> float:
    """Median wall time in milliseconds over `repeat` runs."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def raw_nps(path: Path, filters: Filters) -> float:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            """SELECT 100.0 * (count(*) FILTER (score >= 9) - count(*) FILTER (score <= 6)) / count(*)
               FROM responses WHERE survey = 'nps' AND responded_at >= ? AND responded_at < ?""",
            [filters.start, filters.end + timedelta(days=1)],
        ).fetchall()[0][0]
    finally:
        con.close()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="an existing database; default: build a demo database in a temp folder")
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--comments", type=int, default=10_000, help="distinct comments to analyse (default 10,000)")


def run(args: argparse.Namespace) -> int:

    with tempfile.TemporaryDirectory() as folder:
        path = Path(args.db) if args.db else Path(folder) / "bench.duckdb"
        if not args.db:
            started = time.perf_counter()
            demo.build_demo(path, customers=args.customers, interactions=args.interactions, responses=args.responses)
            print(
                f"demo build ({args.customers:,} customers, {args.interactions:,} interactions, "
                f"{args.responses:,} responses): {time.perf_counter() - started:.1f} s"
            )
        with db.reading(path) as backend:
            _, last = metrics.data_range(backend)
        quarter = Filters.default(today=last)
        filtered = quarter.with_values(segment=["SMB"], channel=["Chat", "Phone"])
        year = Filters.default(today=last, days=365)

        def with_backend(function: Callable) -> Callable[[], object]:
            def run() -> object:
                with db.reading(path) as backend:
                    return function(backend)

            return run

        rows: list[tuple[str, float]] = []
        baseline = timed(lambda: raw_nps(path, quarter), args.repeat)
        rows.append(("baseline: raw SQL NPS, 90 days (open + query + close)", baseline))
        rows.append(("open + close a read-only connection", timed(with_backend(lambda b: None), args.repeat)))
        rows.append(
            (
                "NPS summary via metric layer, 90 days + previous",
                timed(with_backend(lambda b: metrics.summary(b, "nps", quarter)), args.repeat),
            )
        )
        rows.append(
            (
                "NPS summary, segment + channel filters",
                timed(with_backend(lambda b: metrics.summary(b, "nps", filtered)), args.repeat),
            )
        )
        rows.append(
            (
                "Overview page: 6 tiles + sparklines",
                timed(with_backend(lambda b: metrics.overview(b, quarter)), args.repeat),
            )
        )
        rows.append(
            (
                "Trend: CSAT by week over a year, split by segment",
                timed(with_backend(lambda b: metrics.trend(b, "csat", year, "week", by="segment")), args.repeat),
            )
        )
        rows.append(
            (
                "Trend: churn by month over a year, split by region",
                timed(with_backend(lambda b: metrics.trend(b, "churn_rate", year, "month", by="region")), args.repeat),
            )
        )
        rows.append(
            (
                "Median first response with interval, 90 days + previous",
                timed(with_backend(lambda b: metrics.summary(b, "first_response_time", quarter)), args.repeat),
            )
        )

        print(f"\nmedian of {args.repeat} runs, ms        ratio to baseline")
        for name, ms in rows:
            print(f"  {name:<58} {ms:9.1f}   {ms / baseline:6.1f}x")

    print("\ncomment analysis at import (one run)      wall s     CPU s")
    for name, wall, cpu in comments.benchmark(args.comments):
        print(f"  {name:<58} {wall:9.2f} {cpu:9.2f}")
    return 0
