"""Undo an import: remove exactly the rows it added (its other files' imports stay).

  python -m cx undo 12

`python -m cx imports` lists the imports and their ids.
"""

from __future__ import annotations

import argparse
import sys

from cx.cli import access
from cx.ingest import UndoRefused, import_history, undo_import
from cx.store.db import DatabaseBusy, db_path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "import_id", type=int, metavar="IMPORT_ID", help="the import to undo (see python -m cx imports)"
    )
    parser.add_argument("--db", help="database file (default: $CX_DB or data/cx.duckdb)")


def run(args: argparse.Namespace) -> int:
    path = db_path(args.db)
    if not path.exists():
        print(f"There is no database at {path}, so there is nothing to undo.", file=sys.stderr)
        return 1
    try:
        history = import_history(db=path)
        row = history[history["import_id"] == args.import_id]
        if row.empty:
            ids = ", ".join(str(i) for i in history["import_id"]) or "none yet"
            print(f"There is no import {args.import_id} in {path.name}; its imports are: {ids}.", file=sys.stderr)
            return 2
        entry = row.iloc[0]
        if entry["status"] == "undone":
            print(f'Import {args.import_id} ("{entry["file_name"]}") was already undone; nothing changed.')
            return 0
        actor = access.require("editor", "undoing an import")
        removed = undo_import(args.import_id, db=path, actor=actor, only_by=access.only_by(actor))
    except UndoRefused as refusal:
        print(str(refusal), file=sys.stderr)
        return access.EXIT_NOT_ALLOWED
    except DatabaseBusy as error:
        print(str(error), file=sys.stderr)
        return 1
    print(f'Import {args.import_id} ("{entry["file_name"]}") undone: {removed:,} records removed.')
    return 0
