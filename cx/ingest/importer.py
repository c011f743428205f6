"""The two calls the Data page and the command line make: analyse a file, import a file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from cx.analysis import personal as personal_rules
from cx.ingest import comments, load, personal, validate
from cx.ingest.plan import PREVIEW_ROWS, ImportPlan, UsageError, build_plan, stage, staging_database
from cx.ingest.read import ImportRefused
from cx.store import audit, settings
from cx.store.db import db_path

MAX_ERRORS = 1000  # errors returned to the caller; every reject is stored in import_rejects


@dataclass
class ImportResult:
    file: str
    kind: str
    rows: int
    imported: int
    duplicates: int
    rejected: int
    mapping: dict[str, str]
    errors: list[dict] = field(default_factory=list)  # row, column, value, reason
    import_id: int | None = None
    notes: list[str] = field(default_factory=list)
    updated: int = 0  # stored customers replaced or merged with this file's values

    def as_json(self) -> dict:
        """The command line's JSON object for this file."""
        keys = ("file", "kind", "rows", "imported", "duplicates", "rejected", "mapping", "errors")
        return {k: v for k, v in asdict(self).items() if k in keys}


def _checked_plan(con, workdir, source, file_name, kind, mapping, sheet, date_order, db, *, importing=False,
                  any_date: bool = False, encoding: str | None = None) -> ImportPlan:  # fmt: skip
    staged, profiles = stage(con, workdir, source, file_name, sheet, encoding)
    known_ids = None if db is None else lambda: load.known_customer_ids(db)
    plan = build_plan(con, staged, profiles, file_name, kind=kind, mapping=mapping, date_order=date_order,
                      known_ids=known_ids)  # fmt: skip
    plan.any_date, plan.not_utf8, plan.encoding = any_date, staged.not_utf8, staged.encoding
    if plan.problems is None:
        rules = personal_rules.rules(settings.get(personal_rules.SETTING, db=db) if db else None)
        plan.personal = personal.find(con, plan, rules)
        plan.notes += [column.says for column in plan.personal]
    if plan.problems is None and not plan.ambiguous_dates:
        validate.build_checked(con, plan)
        plan.implausible_dates = validate.rows_with(con, "date_range")
        salt = None
        if personal.needs_salt(plan.personal):
            # Importing makes the salt if there is none yet; a preview without one hashes with a stand-in.
            salt = (settings.salt(db, create=importing) if db else None) or "preview-only"
        personal.apply(con, plan.personal, salt)
        load.prepare(con, plan)
    return plan


def analyse(source, *, file_name: str, kind=None, mapping: dict[str, str] | None = None, sheet=None,
            date_order=None, errors: int = 20, db=None, any_date: bool = False,
            encoding: str | None = None) -> ImportPlan:  # fmt: skip
    """Read, detect, map and check a file without changing the CX database.

    With `db` (a path), a column whose values are customer ids already stored there is proposed
    as the customer id; the database is only opened read-only for that."""
    with staging_database() as (con, workdir):
        try:
            plan = _checked_plan(con, workdir, source, file_name, kind, mapping, sheet, date_order, db,
                                 any_date=any_date, encoding=encoding)  # fmt: skip
        except ImportRefused as refusal:
            return ImportPlan(file_name, problems=refusal.message)
        if plan.problems is None and not plan.ambiguous_dates:
            plan.errors = [_public(e) for e in validate.collect_rejects(con, plan)[:errors]]
            plan.preview = _preview(con, plan)
            if db is not None:
                plan.conflicts, plan.conflict_examples = load.customer_conflicts(con, plan, db)
        return plan


def _preview(con, plan: ImportPlan):
    """The first rows as they will be stored, one frame per table joined side by side for a page."""
    table = {"customers": "customers", "interactions": "interactions", "responses": "responses"}[
        plan.kind.split("+")[0]
    ]
    frame = con.execute(
        f"SELECT * EXCLUDE (first_in_file) FROM ready_{table} ORDER BY _record LIMIT {PREVIEW_ROWS}"
    ).df()
    return frame.rename(columns={"_record": "row"})


def _public(error: dict) -> dict:
    return {k: error[k] for k in ("row", "column", "value", "reason")}


def import_file(source, *, file_name: str, db=None, kind=None, mapping: dict[str, str] | None = None, sheet=None,
                date_order=None, strict: bool = False, imported_by: str | None = None,
                progress: Callable[[float, str], None] | None = None,
                actor: audit.Actor | None = None, on_conflict: str = "keep",
                any_date: bool = False, encoding: str | None = None) -> ImportResult:  # fmt: skip
    """Import one file in one transaction; raises ImportRefused when nothing of it can be imported.

    `actor` is who imports (recorded in the audit trail in the same transaction, and as imported_by).
    `on_conflict`: what to do with customers already stored (load.ON_CONFLICT: keep, replace, merge).
    `any_date`: accept dates outside 1900 … a year ahead (otherwise such rows are rejected, with the reason).
    `encoding`: read a text file as utf-8, cp1252 or latin-1 throughout, instead of line by line."""
    if on_conflict not in load.ON_CONFLICT:
        raise UsageError(
            f'Unknown choice for stored customers "{on_conflict}": use one of {", ".join(load.ON_CONFLICT)}.'
        )
    report = progress or (lambda fraction, text: None)
    with staging_database() as (con, workdir):
        report(0.05, f"Reading {file_name}")
        plan = _checked_plan(con, workdir, source, file_name, kind, mapping, sheet, date_order, db_path(db),
                             importing=True, any_date=any_date, encoding=encoding)  # fmt: skip
        if plan.problems:
            raise ImportRefused(plan.problems)
        if plan.ambiguous_dates:
            columns = ", ".join(f'"{c}"' for c in plan.ambiguous_dates)
            example = next((f.example for i, f in plan.dates.items() if f.ambiguous), None)
            raise ImportRefused(
                f"The dates in {columns} fit both month/day/year and day/month/year (every day is 12 or less"
                + (f', e.g. "{example}"' if example else "")
                + "). Say which: --date-order mdy or --date-order dmy (or the choice on the Data page)."
            )
        report(0.5, "Checking rows")
        rejects = validate.collect_rejects(con, plan)
        rejected = len({e["row"] for e in rejects})
        public = [_public(e) for e in rejects]
        if strict and rejected:
            raise ImportRefused(
                f'--strict: "{file_name}" has {rejected} row(s) that cannot be imported, so nothing was imported. '
                f"First: {validate.message(public[0])}",
                errors=public[:MAX_ERRORS],
            )
        if rejected == plan.rows:
            raise ImportRefused(
                f'None of the {plan.rows} rows of "{file_name}" can be imported. First: {validate.message(public[0])}',
                errors=public[:MAX_ERRORS],
            )
        con.execute("CHECKPOINT")
        stage_file = workdir / "stage.duckdb"
        con.close()  # the stage is attached read-only by the writer
        report(0.7, "Writing to the database")
        counts = load.write(db, stage_file, plan, rejects, imported_by or (actor.who if actor else None), actor,
                            on_conflict=on_conflict)  # fmt: skip
        note = comments.after_import(plan.kind, counts["imported"], db, lambda f, t: report(0.8 + 0.2 * f, t))
        report(1.0, "Done")
    return ImportResult(file=file_name, kind=plan.kind, rows=counts["rows"], imported=counts["imported"],
                        duplicates=counts["duplicates"], rejected=counts["rejected"], mapping=plan.mapping,
                        errors=public[:MAX_ERRORS], import_id=counts["import_id"],
                        notes=plan.notes + ([note] if note else []), updated=counts["updated"])  # fmt: skip
