"""Import CSV, Excel or Parquet exports into the CX database.

Each file's mapping (every column and what it is stored as, with the reason), the
figure each rating column will produce, the notes and the counts are printed.
A file whose figures look implausible (a column that yields answers for too few
of its rows, a figure at the very end of its scale) is not imported until you
look and pass --accept-warnings. A mapping saved for files with the same headers
(--save-mapping, or on the Data page) is applied unless you give your own --map.

Exit status: 0 when every file was imported (rejected rows, if any, are
listed), 1 when a file could not be imported at all, 2 for a usage error,
3 when the operator's role does not allow importing (a roles file exists and
$CX_USER is not an editor or admin there).
With --json, prints one object per file: file, kind, rows, imported,
duplicates, rejected, mapping, errors (row, column, value, reason), import_id,
notes (text, column, code, severity) and previews (column, survey, n, value,
figure, histogram); a refused file has one error with row and column null and
the reason first.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from cx.cli import access
from cx.ingest import mapping as m
from cx.ingest.importer import ImportResult, import_file, preview_json
from cx.ingest.messages import say
from cx.ingest.plan import ImportPlan, UsageError
from cx.ingest.read import ImportRefused
from cx.ingest.saved import save_mapping, saved_mapping, saved_mappings
from cx.ingest.validate import message
from cx.store.db import DatabaseBusy, db_path

SHOWN_ERRORS = 5  # the first few reasons; the rest are in import_rejects
SHOWN_UNMAPPED = 8


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="CSV, Excel or Parquet files")
    parser.add_argument("--db", help="database file (default: $CX_DB or data/cx.duckdb)")
    parser.add_argument("--kind", choices=m.KINDS, help="what the file holds, when detection gets it wrong")
    parser.add_argument("--map", action="append", default=[], metavar='"Source column=field"',
                        help=f"map a column to a field: {', '.join(m.FIELDS)}")  # fmt: skip
    parser.add_argument("--mapping", metavar="NAME", help="use a mapping saved under this name")
    parser.add_argument("--save-mapping", metavar="NAME", help="save the mapping used under this name")
    parser.add_argument("--no-saved-mapping", action="store_true",
                        help="do not apply a saved mapping that fits the headers")  # fmt: skip
    parser.add_argument("--sheet", help="the workbook sheet that holds the data")
    parser.add_argument("--date-order", choices=("mdy", "dmy"), help="for dates like 03/04/2025: month or day first")
    parser.add_argument("--date", dest="file_date", type=date.fromisoformat, metavar="YYYY-MM-DD",
                        help="the date of every row, for a file with no date column (default: the file's date)")  # fmt: skip
    parser.add_argument("--accept-warnings", action="store_true",
                        help="import even when a figure looks implausible (after you checked it)")  # fmt: skip
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
            raise UsageError(say("map_syntax", pair=pair))
        mapping[source.strip()] = target.strip()
    return mapping


def _refused(file_name: str, reason: str, errors: list[dict], plan: ImportPlan | None) -> dict:
    return {"file": file_name, "kind": plan.kind if plan else None, "rows": plan.rows if plan else None,
            "imported": 0, "duplicates": 0, "rejected": 0, "mapping": plan.mapping if plan else {},
            "errors": [{"row": None, "column": None, "value": None, "reason": reason}, *errors], "import_id": None,
            "notes": [n.as_json() for n in plan.notes] if plan else [],
            "previews": [preview_json(p) for p in plan.previews] if plan else []}  # fmt: skip


def describe_plan(plan: ImportPlan) -> list[str]:
    """The mapping, the figures and the notes, as the lines the command line prints."""
    lines = [f"{plan.file_name}: {m.KIND_LABELS.get(plan.kind, 'not recognised')}, {plan.rows:,} rows"]
    if plan.columns:
        lines.append("  mapping:")
        for choice in plan.columns:
            if choice.field:
                lines.append(f'    "{m._shorten(choice.column, 70)}" → {choice.field}: {choice.reason}')
        if plan.attributes:
            lines.append(f"  kept as customer attributes: {_listing(plan.attributes)}")
        others = [c.column for c in plan.columns if not c.field and c.column not in plan.attributes]
        if others:
            lines.append(f"  not stored: {_listing(others)}")
    for preview in plan.previews:
        values = " · ".join(f"{k}: {v:,}" for k, v in preview.histogram.items())
        lines.append(f'  figure: "{m._shorten(preview.column, 60)}" → {preview.figure} ({values})')
    for note in plan.notes:
        lines.append(f"  {'warning' if note.severity == 'warning' else 'note'}: {note.text}")
    return lines


def _listing(names: list[str]) -> str:
    shown = ", ".join(f'"{m._shorten(n, 40)}"' for n in names[:SHOWN_UNMAPPED])
    return shown + (f" and {len(names) - SHOWN_UNMAPPED} more" if len(names) > SHOWN_UNMAPPED else "")


def _summary(result: ImportResult, plan_lines: list[str], db: Path) -> str:
    lines = list(plan_lines)
    lines.append(
        f"  {result.rows:,} rows: {result.imported:,} imported, {result.duplicates:,} duplicates skipped, "
        f"{result.rejected:,} rejected (import {result.import_id}; undo with: python -m cx undo {result.import_id})"
    )
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
    kind, date_order = args.kind, args.date_order
    if args.mapping:
        saved = saved_mapping(args.mapping, args.db)
        if saved is None:
            names = ", ".join(f'"{s.name}"' for s in saved_mappings(args.db)) or "none yet"
            print(say("unknown_saved", name=args.mapping, names=names), file=sys.stderr)
            return 2
        mapping = {**saved.mapping, **mapping}
        kind, date_order = kind or saved.kind, date_order or saved.date_order
    outputs, status = [], 0
    for file in args.files:
        name = Path(file).name
        try:
            result = import_file(Path(file), file_name=name, db=args.db, kind=kind, mapping=mapping or None,
                                 sheet=args.sheet, date_order=date_order, strict=args.strict,
                                 file_date=args.file_date, accept_warnings=args.accept_warnings,
                                 use_saved=not args.no_saved_mapping, actor=actor, on_conflict=args.on_conflict,
                                 any_date=args.any_date, encoding=args.encoding)  # fmt: skip
        except UsageError as error:
            print(f"{name}: {error.message}", file=sys.stderr)
            return 2
        except (ImportRefused, DatabaseBusy) as error:
            reason = error.message if isinstance(error, ImportRefused) else str(error)
            errors = error.errors if isinstance(error, ImportRefused) else []
            plan = getattr(error, "plan", None)
            outputs.append(_refused(name, reason, errors, plan))
            if not args.json:
                if plan is not None:
                    print("\n".join(describe_plan(plan)), file=sys.stderr)
                print(f"{name}: not imported. {reason}", file=sys.stderr)
            status = 1
            continue
        if args.save_mapping:
            save_mapping(args.save_mapping, result.plan.headers, result.plan.full_mapping(), args.db, kind=kind,
                         date_order=date_order)  # fmt: skip
        outputs.append(result.as_json())
        if not args.json:
            print(_summary(result, describe_plan(result.plan), db_path(args.db)))
    if args.json:
        print(json.dumps(outputs, ensure_ascii=False, indent=2, default=str))
    return status
