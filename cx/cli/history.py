"""List the imports, newest first: id, file, kind, when, who, counts and status.

  python -m cx imports [--json]

Undo one with `python -m cx undo IMPORT_ID`.
"""

from __future__ import annotations

import argparse
import json
import sys

from cx.ingest import import_history
from cx.store.db import DatabaseBusy, db_path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="database file (default: $CX_DB or data/cx.duckdb)")
    parser.add_argument("--json", action="store_true", help="print the imports as JSON")


def run(args: argparse.Namespace) -> int:
    path = db_path(args.db)
    if not path.exists():
        print(f"There is no database at {path} yet: nothing has been imported.", file=sys.stderr)
        return 1
    try:
        history = import_history(db=path)
    except DatabaseBusy as error:
        print(str(error), file=sys.stderr)
        return 1
    records = history.to_dict("records")
    if args.json:
        print(json.dumps(records, indent=2, default=str))
        return 0
    if not records:
        print("Nothing imported yet.")
        return 0
    print(
        f"{'id':>4}  {'when':<16}  {'status':<6}  {'kind':<22}  {'rows':>9}  {'imported':>9}  {'dupl.':>7}  {'rejected':>8}  file"
    )
    for r in records:
        print(f"{r['import_id']:>4}  {r['imported_at']:%Y-%m-%d %H:%M}  {r['status']:<6}  {r['kind']:<22}  {r['rows']:>9,}  "
              f"{r['imported']:>9,}  {r['duplicates']:>7,}  {r['rejected']:>8,}  {r['file_name']}")  # fmt: skip
    return 0
