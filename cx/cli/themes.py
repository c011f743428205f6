"""Recompute the comments' languages, sentiment and themes (after an import this runs by itself).

  python -m cx themes [--db PATH] [--quiet]

For a scheduled job: leaders' renames, merges and pinned keyword rules are kept. Exit status 0,
or 1 when the database is busy for longer than the wait. Where a roles file exists, the operator
($CX_USER) needs the editor role, as in the dashboard (exit status 3 otherwise, nothing changed).
"""

from __future__ import annotations

import argparse
import sys

from cx.cli import access
from cx.ingest import comments
from cx.store.db import DatabaseBusy, db_path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="database file (default: $CX_DB or data/cx.duckdb)")
    parser.add_argument("--quiet", action="store_true", help="print only the summary line")


def run(args: argparse.Namespace) -> int:
    access.require("editor", "recomputing the themes")
    last = [""]

    def progress(fraction: float, message: str) -> None:
        if not args.quiet and message != last[0]:
            print(f"{fraction:4.0%}  {message}", file=sys.stderr)
            last[0] = message

    try:
        result = comments.refresh(db_path(args.db), progress=progress)
    except DatabaseBusy as busy:
        print(str(busy), file=sys.stderr)
        return 1
    print(result.line())
    return 0
