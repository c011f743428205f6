"""Import CSV, Excel or Parquet exports into the CX database.

Exit status: 0 when every file was imported (rejected rows, if any, are
listed), 1 when a file could not be imported at all, 2 for a usage error,
3 when the operator's role does not allow importing (a roles file exists and
$CX_USER is not an editor or admin there).
With --json, prints one object per file: file, kind, rows, imported,
duplicates, rejected, mapping, errors (row, column, value, reason); a refused
file has one error with row and column null and the reason.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cx.cli import access
from cx.ingest.importer import ImportResult, import_file
from cx.ingest.mapping import FIELDS, KINDS
from cx.ingest.plan import UsageError
from cx.ingest.read import ImportRefused
from cx.ingest.validate import message
from cx.store.db import DatabaseBusy, db_path

SHOWN_ERRORS = 5  # the first few reasons; the rest are in import_rejects


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="CSV, Excel or Parquet files")
    parser.add_argument("--db", help="database file (default: $CX_DB or data/cx.duckdb)")
    parser.add_argument("--kind", choices=KINDS, help="what the file holds, when detection gets it wrong")
    parser.add_argument("--map", action="append", default=[], metavar='"Source column=field"',
                        help=f"map a column to a field: {', '.join(FIELDS)}")  # fmt: skip
    parser.add_argument("--sheet", help="the workbook sheet that holds the data")
    parser.add_argument("--date-order", choices=("mdy", "dmy"), help="for dates like 03/04/2025: month or day first")
    parser.add_argument("--strict", action="store_true", help="import nothing from a file with any rejected row")
    parser.add_argument(
        "--encoding",
        choices=("utf-8", "cp1252", "latin-1"),
        help="read a text file in this encoding throughout (default: UTF-8 line by line, Windows-1252 for a "
        "line that is not UTF-8, and said so)",
    )
    parser.add_argument(
        "--any-date",
        action="store_true",
        help="accept dates before 1900 or more than a year ahead (otherwise those rows are rejected)",
    )
    parser.add_argument("--on-conflict", choices=("keep", "replace", "merge"), default="keep",
                        help="customers already stored: keep them (default), replace them with the file's rows, or "
                             "merge (the file's values where it has them)")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the results as JSON")


def _mapping(pairs: list[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        source, sep, target = pair.rpartition("=")
        if not sep or not source.strip() or not target.strip():
            raise UsageError(f'--map needs "Source column=field", got "{pair}".')
        mapping[source.strip()] = target.strip()
    return mapping


def _refused(file_name: str, reason: str, errors: list[dict]) -> dict:
    return {"file": file_name, "kind": None, "rows": 0, "imported": 0, "duplicates": 0, "rejected": 0, "mapping": {},
            "errors": [{"row": None, "column": None, "value": None, "reason": reason}, *errors]}  # fmt: skip


def _summary(result: ImportResult, db: Path) -> str:
    lines = [
        f"{result.file}: {result.kind}, {result.rows} rows: {result.imported} imported, "
        f"{result.duplicates} duplicates skipped, {result.rejected} rejected (import {result.import_id})"
    ]
    lines += [f"  note: {note}" for note in result.notes]
    shown = result.errors[:SHOWN_ERRORS]
    lines += [f"  {message(error)}" for error in shown]
    if result.rejected:
        rest = result.rejected - len({error["row"] for error in shown})
        more = f"… and {rest} more rejected row{'s' if rest != 1 else ''}. " if rest > 0 else ""
        lines.append(
            f"  {more}Every rejected row is kept, with its reasons and the whole record, in the table "
            f"import_rejects of {db} (import_id = {result.import_id})."
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    try:
        mapping = _mapping(args.map)
    except UsageError as error:
        print(error.message, file=sys.stderr)
        return 2
    actor = access.require("editor", "importing files")
    outputs, status = [], 0
    for file in args.files:
        name = Path(file).name
        try:
            result = import_file(Path(file), file_name=name, db=args.db, kind=args.kind, mapping=mapping or None,
                                 sheet=args.sheet, date_order=args.date_order, strict=args.strict,
                                 actor=actor, on_conflict=args.on_conflict, any_date=args.any_date,
                                 encoding=args.encoding)  # fmt: skip
        except UsageError as error:
            print(f"{name}: {error.message}", file=sys.stderr)
            return 2
        except (ImportRefused, DatabaseBusy) as error:
            reason = error.message if isinstance(error, ImportRefused) else str(error)
            errors = error.errors if isinstance(error, ImportRefused) else []
            outputs.append(_refused(name, reason, errors))
            if not args.json:
                print(f"{name}: not imported. {reason}", file=sys.stderr)
            status = 1
            continue
        outputs.append(result.as_json())
        if not args.json:
            print(_summary(result, db_path(args.db)))
    if args.json:
        print(json.dumps(outputs, ensure_ascii=False, indent=2, default=str))
    return status
