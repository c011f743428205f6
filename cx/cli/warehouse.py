"""Warehouse mode: copy a local database into a warehouse for a first load.

  python -m cx warehouse push --to URL [--db PATH]

URL is a PostgreSQL URL (postgresql://user:password@host:5432/database[/schema]),
`pyspark` (local Spark) or `pyspark://WAREHOUSE_DIR?master=spark://host:7077`, or any
Ibis backend URL. Every table of the local file (customers, interactions, responses,
attributes, imports, rollups) replaces the table of the same name there. After that
the warehouse is loaded by its own pipelines; the dashboard reads it with
CX_WAREHOUSE=URL, read-only.
"""

from __future__ import annotations

import argparse
import sys
import time

from cx.store import db, warehouse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True)
    push = actions.add_parser("push", help="copy the local database's tables into a warehouse")
    push.add_argument("--to", required=True, metavar="URL", help="the warehouse: postgresql://…, pyspark, …")
    push.add_argument("--db", help="database file (default: $CX_DB or data/cx.duckdb)")


def run(args: argparse.Namespace) -> int:
    path = db.db_path(args.db)
    if not path.exists():
        print(f"error: no database at {path}; build one with `python -m cx demo` or import a file", file=sys.stderr)
        return 1
    if not warehouse.is_url(args.to):
        print(f"error: {args.to!r} is not a warehouse URL (postgresql://…, pyspark, …)", file=sys.stderr)
        return 2
    started = time.perf_counter()
    db.ensure_database(path)
    try:
        copied = warehouse.push(path, args.to)
    except Exception as error:  # the warehouse's own message says best what went wrong (auth, network, rights)
        print(f"error: could not copy into {warehouse.describe(args.to)}: {error}", file=sys.stderr)
        return 1
    for table, rows in copied.items():
        print(f"  {table:<24} {rows:>12,} rows")
    print(f"Copied {len(copied)} tables to {warehouse.describe(args.to)} in {time.perf_counter() - started:.1f} s.")
    return 0
