"""The two calls the Data page and the command line make: analyse a file, import a file."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from cx.analysis import personal as personal_rules
from cx.ingest import comments, load, personal, validate
from cx.ingest import mapping as m
from cx.ingest.detect import number_sql, value_sql
from cx.ingest.messages import say
from cx.ingest.plan import PREVIEW_ROWS, ImportPlan, Note, ScorePreview, UsageError, build_plan, stage, staging_database
from cx.ingest.read import ImportRefused
from cx.ingest.saved import saved_mapping_for
from cx.store import audit, settings
from cx.store.db import db_path

MAX_ERRORS = 1000  # errors returned to the caller; every reject is stored in import_rejects
EXTREME_MIN_N = 30  # below this many answers a figure at the end of its scale is no surprise


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
    notes: list[Note] = field(default_factory=list)
    updated: int = 0  # stored customers replaced or merged with this file's values
    previews: list[ScorePreview] = field(default_factory=list)
    plan: ImportPlan | None = field(default=None, repr=False)

    def as_json(self) -> dict:
        """The command line's JSON object for this file."""
        keys = ("file", "kind", "rows", "imported", "duplicates", "rejected", "mapping", "errors", "import_id")
        result = {k: getattr(self, k) for k in keys}
        result["notes"] = [note.as_json() for note in self.notes]
        result["previews"] = [preview_json(p) for p in self.previews]
        return result


def preview_json(preview: ScorePreview) -> dict:
    return {"column": preview.column, "survey": preview.survey, "n": preview.n, "value": preview.value,
            "figure": preview.figure, "histogram": preview.histogram}  # fmt: skip


def file_date_of(source) -> tuple[date | None, str | None]:
    """The file's own date (when it was last written), for files that date none of their rows."""
    if isinstance(source, (str, os.PathLike)) and Path(source).is_file():
        return date.fromtimestamp(Path(source).stat().st_mtime), "the file's date"
    return None, None


def _checked_plan(con, workdir, source, file_name, kind, mapping, sheet, date_order, db, file_date,
                  use_saved: bool, *, importing: bool = False, any_date: bool = False,
                  encoding: str | None = None) -> ImportPlan:  # fmt: skip
    staged, profiles = stage(con, workdir, source, file_name, sheet, encoding)
    known_ids = None if db is None else lambda: load.known_customer_ids(db)
    saved = saved_mapping_for(staged.headers, db) if use_saved and not mapping and db is not None else None
    if saved is not None:
        mapping, kind, date_order = saved.mapping, kind or saved.kind, date_order or saved.date_order
    own_date, source_label = file_date_of(source)
    plan = build_plan(con, staged, profiles, file_name, kind=kind, mapping=mapping, date_order=date_order,
                      known_ids=known_ids, file_date=file_date or own_date,
                      file_date_source="the date you gave" if file_date else source_label)  # fmt: skip
    if saved is not None:
        plan.saved_mapping = saved.name
        plan.notes.insert(0, Note(say("saved_mapping", name=saved.name), code="saved_mapping"))
        for choice in plan.columns:
            if choice.chosen_by == "you":
                choice.chosen_by, choice.reason = "saved", f'saved mapping "{saved.name}"'
                if choice.field is None and choice.stored_in is None:
                    choice.reason += ": not stored"
    plan.any_date, plan.not_utf8, plan.encoding = any_date, staged.not_utf8, staged.encoding
    if plan.problems is None:
        rules = personal_rules.rules(settings.get(personal_rules.SETTING, db=db) if db else None)
        plan.personal = personal.find(con, plan, rules, profiles)
        plan.notes += [Note(column.says, column=column.header, code="personal") for column in plan.personal]
    if plan.problems is None and not plan.ambiguous_dates:
        validate.build_checked(con, plan)
        for column, start, rows, first in validate.before_start(con, plan):
            plan.note(say("before_start", rows=f"{rows:,}", column=column, start=start, row=first), column=column,
                      code="before_start")  # fmt: skip
        plan.implausible_dates = validate.rows_with(con, "date_range")
        salt = None
        if personal.needs_salt(plan.personal):
            # Importing makes the salt if there is none yet; a preview without one hashes with a stand-in.
            salt = (settings.salt(db, create=importing) if db else None) or "preview-only"
        personal.apply(con, plan.personal, salt)
        load.prepare(con, plan)
        _plausibility(con, plan, profiles)
    return plan


def analyse(source, *, file_name: str, kind=None, mapping: dict[str, str] | None = None, sheet=None,
            date_order=None, errors: int = 20, db=None, file_date: date | None = None,
            use_saved: bool = True, any_date: bool = False, encoding: str | None = None) -> ImportPlan:  # fmt: skip
    """Read, detect, map and check a file without changing the CX database.

    With `db` (a path), a column whose values are customer ids already stored there is proposed
    as the customer id, and a mapping saved for files with the same headers is applied; the
    database is only opened read-only for that."""
    with staging_database() as (con, workdir):
        try:
            plan = _checked_plan(con, workdir, source, file_name, kind, mapping, sheet, date_order, db, file_date,
                                 use_saved, any_date=any_date, encoding=encoding)  # fmt: skip
        except ImportRefused as refusal:
            if hasattr(refusal, "plan"):
                return refusal.plan
            return ImportPlan(file_name, problems=refusal.message)
        if plan.problems is None and not plan.ambiguous_dates:
            plan.errors = [_public(e) for e in validate.collect_rejects(con, plan)[:errors]]
            plan.preview = _preview(con, plan)
            if db is not None:
                plan.conflicts, plan.conflict_examples = load.customer_conflicts(con, plan, db)
        return plan


def _preview(con, plan: ImportPlan):
    """The first rows as they will be stored (of the file's first kind), for a page."""
    table = plan.kind.split("+")[0]
    frame = con.execute(
        f"SELECT * EXCLUDE (first_in_file) FROM ready_{table} ORDER BY _record LIMIT {PREVIEW_ROWS}"
    ).df()
    return frame.rename(columns={"_record": "row"})


def _figure(survey: str, scores: dict[int, int]) -> tuple[int, float | None, str]:
    """(n, value, "CSAT 60.5% on 3,584 answers") for the answers a column will store."""
    n = sum(scores.values())
    if not n:
        return 0, None, f"no {m.SURVEY_LABELS[survey]} answers"
    if survey == "nps":
        promoters = sum(c for s, c in scores.items() if s >= 9)
        detractors = sum(c for s, c in scores.items() if s <= 6)
        value, shown = 100 * (promoters - detractors) / n, f"NPS {100 * (promoters - detractors) / n:.1f}"
    elif survey == "csat":
        value = 100 * sum(c for s, c in scores.items() if s >= 4) / n
        shown = f"CSAT {value:.1f}%"
    else:
        value = sum(s * c for s, c in scores.items()) / n
        shown = f"{'CES' if survey == 'ces' else 'mean rating'} {value:.2f}"
    return n, value, f"{shown} on {n:,} answer{'s' if n != 1 else ''}"


_SCALE_POINTS = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7), "rating10": (1, 10)}
_EXTREMES = {"nps": (-100, 100), "csat": (0, 100), "ces": (1, 7), "rating10": (1, 10)}


def _plausibility(con, plan: ImportPlan, profiles) -> None:
    """Each rating column's values and the figure it will make; implausible ones need a confirmation."""
    by_index = {p.index: p for p in profiles}
    for k, score in enumerate(plan.scores):
        raw = dict(
            con.execute(
                f"SELECT {number_sql(value_sql(f'c{score.index}'))} AS n, count(*) FROM staged GROUP BY 1"
            ).fetchall()
        )
        stored = dict(
            con.execute(
                f"SELECT s{k}, count(*) FROM checked WHERE len(problems) = 0 AND s{k} IS NOT NULL GROUP BY 1"
            ).fetchall()
        )
        answered = {v: c for v, c in raw.items() if v is not None and v not in score.not_applicable}
        # Every point of the scale gets its bar, so a point nobody chose shows as an empty bar, not a gap.
        low, high = _SCALE_POINTS.get(score.survey, (None, None))
        if low is not None:
            answered = {v: 0 for v in range(low, high + 1) if v not in score.not_applicable} | answered
        histogram = {str(int(v)) if float(v).is_integer() else f"{v:g}": c for v, c in sorted(answered.items())}
        dropped = sum(c for v, c in raw.items() if v is not None and v in score.not_applicable)
        if dropped:
            histogram["not applicable"] = dropped
            plan.note(say("not_applicable", count=f"{dropped:,}", column=score.header), column=score.header,
                      code="not_applicable")  # fmt: skip
        histogram["blank"] = raw.get(None, 0)
        surveys = [score.survey] if score.survey else sorted(
            {s for (s,) in con.execute("SELECT DISTINCT survey FROM ready_responses").fetchall()})  # fmt: skip
        for survey in surveys:
            if score.survey is None:
                stored = dict(con.execute("SELECT score, count(*) FROM ready_responses WHERE survey = ? GROUP BY 1",
                                          [survey]).fetchall())  # fmt: skip
            n, value, figure = _figure(survey, stored)
            plan.previews.append(ScorePreview(score.header, survey, histogram, n, value, figure))
            label = m.SURVEY_LABELS[survey]
            filled = by_index[score.index].filled
            # The column's own answers: rows rejected for another column (a bad date) do not make it implausible.
            answers = con.execute(f"SELECT count(s{k}) FROM checked").fetchall()[0][0]
            if score.survey and plan.rows >= EXTREME_MIN_N and filled >= 0.8 * plan.rows and answers < 0.5 * plan.rows:
                plan.note(say("few_rows", column=score.header, filled=f"{filled / plan.rows:.0%}",
                              kept=f"{answers / plan.rows:.0%}", survey=label), column=score.header, code="few_rows",
                          severity="warning")  # fmt: skip
            if n >= EXTREME_MIN_N and value is not None and value in _EXTREMES[survey]:
                plan.note(say("extreme", column=score.header, figure=figure, survey=label), column=score.header,
                          code="extreme", severity="warning")  # fmt: skip
    if plan.kind == "responses" and plan.scores:
        blank = con.execute(
            "SELECT count(*) FROM checked WHERE list_contains(list_transform(problems, lambda p: p.code), 'noscore')"
        ).fetchall()[0][0]
        if blank:
            plan.note(say("no_answer_rows", count=f"{blank:,}", rows=f"{plan.rows:,}"), code="no_answer")


def _public(error: dict) -> dict:
    return {k: error[k] for k in ("row", "column", "value", "reason")}


def import_file(source, *, file_name: str, db=None, kind=None, mapping: dict[str, str] | None = None, sheet=None,
                date_order=None, strict: bool = False, imported_by: str | None = None,
                progress: Callable[[float, str], None] | None = None, file_date: date | None = None,
                accept_warnings: bool = False, use_saved: bool = True,
                actor: audit.Actor | None = None, on_conflict: str = "keep",
                any_date: bool = False, encoding: str | None = None) -> ImportResult:  # fmt: skip
    """Import one file in one transaction; raises ImportRefused when nothing of it can be imported.

    A plan with warnings (a figure at the end of its scale, a column that yields answers for too
    few of its rows) is refused unless `accept_warnings`: nothing is stored until someone looked.
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
                             file_date, use_saved, importing=True, any_date=any_date, encoding=encoding)  # fmt: skip
        if plan.problems:
            raise _refusal(plan.problems, plan)
        if plan.ambiguous_dates:
            example = next((f.example for i, f in plan.dates.items() if f.ambiguous), None) or "03/04/2024"
            raise _refusal(say("ambiguous_dates", columns=", ".join(f'"{c}"' for c in plan.ambiguous_dates),
                               file=file_name, example=example), plan)  # fmt: skip
        if plan.warnings and not accept_warnings:
            raise _refusal(say("unconfirmed", file=file_name, warnings=" ".join(n.text for n in plan.warnings)),
                           plan)  # fmt: skip
        report(0.5, "Checking rows")
        rejects = validate.collect_rejects(con, plan)
        rejected = len({e["row"] for e in rejects})
        public = [_public(e) for e in rejects]
        if strict and rejected:
            raise _refusal(say("strict", rows=f"{rejected} row{'s' if rejected != 1 else ''}", file=file_name,
                               first=validate.message(public[0])), plan, public[:MAX_ERRORS])  # fmt: skip
        if rejected == plan.rows:
            raise _refusal(say("all_rejected", rows=plan.rows, file=file_name, first=validate.message(public[0])),
                           plan, public[:MAX_ERRORS])  # fmt: skip
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
                        notes=plan.notes + ([Note(note, code="comments")] if note else []),
                        updated=counts["updated"], previews=plan.previews, plan=plan)  # fmt: skip


def _refusal(message: str, plan: ImportPlan, errors: list[dict] | None = None) -> ImportRefused:
    """A refusal that carries the plan, so the caller can show the mapping, notes and counts it had."""
    refusal = ImportRefused(message, errors=errors)
    refusal.plan = plan
    return refusal
