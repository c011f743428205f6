"""What a file is and how it will be stored: the plan a user reviews before importing.

`analyse()` reads the file into a throw-away staging database, measures every
column, proposes a kind and a mapping (which the caller may correct), and
checks every row, without touching the CX database.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from cx.ingest import mapping as m
from cx.ingest import read
from cx.ingest.dates import ORDERS, DateFormat
from cx.ingest.detect import known_id_column, profile_columns
from cx.ingest.read import ImportRefused, Staged

ERRORS_IN_PLAN = 20
PREVIEW_ROWS = 20
REQUIRED = {"customers": "customer_id", "interactions": "occurred_at", "responses": "responded_at"}
_CREATION = re.compile(r"creat|open|submit|receiv|start|logged|raised", re.I)


class UsageError(ImportRefused):
    """The caller asked for something that does not fit the file (an unknown column, field, kind or sheet)."""


@dataclass
class ScoreColumn:
    index: int
    header: str
    survey: str | None  # None: the survey is named per row by the file's survey column
    touchpoint: str | None = None
    zero_is_no_answer: bool = False

    @property
    def key(self) -> str:
        """A stable, SQL-safe token for this column, part of each response's id."""
        return hashlib.md5(self.header.encode()).hexdigest()[:8]


@dataclass
class ImportPlan:
    file_name: str
    kind: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)  # source column -> field
    headers: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    attributes: list[str] = field(default_factory=list)  # customers files: kept in customer_attributes
    sheets: list[str] = field(default_factory=list)
    sheet: str | None = None
    date_formats: dict[str, str] = field(default_factory=dict)  # source column -> "day/month/year"
    ambiguous_dates: list[str] = field(default_factory=list)
    rows: int = 0
    problems: str | None = None
    notes: list[str] = field(default_factory=list)
    not_utf8: int = 0  # lines of a text file that are not UTF-8 (the page offers the file's encoding as a choice)
    encoding: str | None = None  # how the text was read: utf-8, utf-16, cp1252, latin-1, mixed
    any_date: bool = False  # the user accepted dates outside 1900 … a year ahead (validate.date_window)
    implausible_dates: int = 0  # rows rejected for a date outside that window
    conflicts: int = 0  # customers of the file already stored with other values (the user chooses: load.ON_CONFLICT)
    conflict_examples: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    preview: pd.DataFrame = field(default_factory=pd.DataFrame)
    source_format: str | None = None
    personal: list = field(default_factory=list)  # cx.ingest.personal.PersonalColumn: personal data found
    # Internal: what the checks need.
    fields: dict[str, int] = field(default_factory=dict, repr=False)  # field -> column index (single-valued)
    scores: list[ScoreColumn] = field(default_factory=list, repr=False)
    dates: dict[int, DateFormat] = field(default_factory=dict, repr=False)
    durations: dict[str, tuple[str, float]] = field(
        default_factory=dict, repr=False
    )  # field -> ("number"|"since", factor)
    decimal_comma: set[int] = field(default_factory=set, repr=False)
    unreadable: list[dict] = field(default_factory=list, repr=False)


@contextmanager
def staging_database():
    """A private DuckDB file in a temporary folder, deleted afterwards."""
    with tempfile.TemporaryDirectory(prefix="cx-import-") as folder:
        workdir = Path(folder)
        con = duckdb.connect(str(workdir / "stage.duckdb"))
        con.execute("SET enable_progress_bar = false")
        try:
            yield con, workdir
        finally:
            con.close()


def stage(con, workdir: Path, source, file_name: str, sheet: str | None,
          encoding: str | None = None) -> tuple[Staged, list[m.ColumnProfile]]:  # fmt: skip
    path = read.source_bytes_to_path(source, workdir, file_name)
    kind = read.sniff_format(path, file_name)
    if kind == "parquet":
        staged = read.stage_parquet(con, path, file_name)
    elif kind == "excel":
        staged = _stage_workbook(con, path, file_name, sheet)
    else:
        staged = read.stage_csv(con, path, file_name, workdir, encoding)
    if staged.rows == 0:
        shown = ", ".join(staged.headers[:8]) + ("…" if len(staged.headers) > 8 else "")
        raise ImportRefused(f'The file "{file_name}" has a header row ({shown}) but no data rows.')
    return staged, profile_columns(con, staged.headers)


def _stage_workbook(con, path: Path, file_name: str, sheet: str | None) -> Staged:
    sheets = read.workbook_sheets(path, file_name)
    names = list(sheets)
    if sheet is not None:
        if sheet not in sheets:
            raise UsageError(f'The workbook "{file_name}" has no sheet "{sheet}"; its sheets are: {", ".join(names)}.')
        return read.stage_sheet(con, sheets[sheet], sheet, names)

    # A data dictionary sheet (Field / Description) matches none of our headers; the data sheet does.
    best = max(names, key=lambda name: (_header_matches(sheets[name]), len(sheets[name])))
    return read.stage_sheet(con, sheets[best], best, names)


def _header_matches(rows) -> int:
    if len(rows) < 2:
        return -1
    return sum(1 for h in read.clean_headers(rows[0]) if any(re.search(p, m.normalise(h)) for _, p, _ in m.PATTERNS))


def build_plan(con, staged: Staged, profiles, file_name: str, kind=None, mapping=None, date_order=None,
               known_ids: Callable[[], pa.Table | None] | None = None) -> ImportPlan:  # fmt: skip
    """`known_ids`: fetches the customer ids already stored, asked only when no header names the customer."""
    plan = ImportPlan(file_name, headers=staged.headers, sheets=staged.sheets, sheet=staged.sheet, rows=staged.rows,
                      source_format=staged.format, notes=list(staged.notes), unreadable=staged.unreadable)  # fmt: skip
    if kind is not None and kind not in m.KINDS:
        raise UsageError(f'Unknown kind "{kind}": use one of {", ".join(m.KINDS)}.')
    id_column = None
    named = "customer_id" in (mapping or {}).values() or any(m.match_header(p) == "customer_id" for p in profiles)
    if known_ids is not None and not named:
        candidates = [p for p in profiles if m.match_header(p) is None and p.date is None]
        known = known_ids() if candidates else None
        if known is not None and (found := known_id_column(con, candidates, known)):
            id_column, share = found
            plan.notes.append(
                f'"{staged.headers[id_column]}" read as the customer id: {share:.0%} of its values are customer ids '
                "already in the database."
            )
    guessed = m.guess_fields(profiles, headerless=not staged.has_header, known_ids=id_column)
    guessed = _apply_overrides(guessed, mapping or {}, staged.headers)
    plan.kind = m.kind_of_mapping(set(guessed.values()), kind)
    if plan.kind is None:
        shown = ", ".join(f'"{h}"' for h in staged.headers[:10])
        plan.problems = (
            f'No recognisable columns in "{file_name}": found {shown}. Expected columns such as a customer id, a date, '
            'a score or a churn flag; name them with --map "Column=field" (or in the mapping table).'
        )
        plan.unmapped = list(staged.headers)
        return plan
    fields = m.resolve(guessed, plan.kind)
    allowed = m.fields_for(plan.kind)
    fields = {i: f for i, f in fields.items() if f in allowed}
    by_index = {p.index: p for p in profiles}
    _plan_scores(plan, fields, by_index)
    plan.fields = {f: i for i, f in fields.items() if f not in m.SCORE_FIELDS and f not in ("score", "ignore")}
    plan.mapping = {staged.headers[i]: f for i, f in sorted(fields.items())}
    plan.unmapped = [h for i, h in enumerate(staged.headers) if i not in fields]
    if plan.kind == "customers":
        plan.attributes = list(plan.unmapped)
    plan.decimal_comma = {i for i, p in by_index.items() if p.decimal_comma}
    _plan_dates(plan, by_index, date_order)
    _plan_durations(plan, by_index)
    _note_ticket_date(plan)
    _check_required(plan)
    if (
        plan.kind == "interactions+responses"
        and "customer_id" not in plan.fields
        and any("mail" in h.lower() for h in plan.unmapped)
    ):
        plan.notes.append(
            "The e-mail column was left unmapped (personal data); map it to customer_id to link tickets to customers."
        )
    return plan


def _apply_overrides(guessed: dict[int, str], overrides: dict[str, str], headers: list[str]) -> dict[int, str]:
    lookup = {h: i for i, h in enumerate(headers)} | {h.strip().lower(): i for i, h in enumerate(headers)}
    result = dict(guessed)
    for source, target in overrides.items():
        index = lookup.get(source, lookup.get(source.strip().lower()))
        if index is None:
            raise UsageError(f'The file has no column "{source}"; its columns are: {", ".join(headers)}.')
        if target not in m.FIELDS:
            raise UsageError(f'"{target}" is not a field we store; use one of: {", ".join(m.FIELDS)}.')
        if target not in m.SCORE_FIELDS and target != "ignore":
            result = {i: f for i, f in result.items() if f != target}
        result[index] = target
    return result


def _plan_scores(plan: ImportPlan, fields: dict[int, str], profiles: dict[int, m.ColumnProfile]) -> None:
    for index, field_name in sorted(fields.items()):
        header = plan.headers[index]
        if field_name in m.SCORE_FIELDS:
            survey = m.SCORE_FIELDS[field_name]
        elif field_name == "score":
            if "survey" in fields.values():
                survey = None
            else:
                # A bare "Rating": the values tell the scale.
                high = profiles[index].maximum or 0
                survey = "csat" if high <= 5 else "ces" if high <= 7 else "nps"
                fields[index] = f"{survey}_score"
                plan.notes.append(f'"{header}" read as {survey.upper()} (values up to {high:g}).')
        else:
            continue
        plan.scores.append(ScoreColumn(index, header, survey, zero_is_no_answer=m.zero_means_no_answer(header)))
    surveys = [s.survey for s in plan.scores]
    for score in plan.scores:
        # Several columns of the same survey: each names the touchpoint it asks about.
        if score.survey and surveys.count(score.survey) > 1:
            score.touchpoint = m.touchpoint_from_header(score.header)


def _plan_dates(plan: ImportPlan, profiles: dict[int, m.ColumnProfile], date_order) -> None:
    for field_name, index in plan.fields.items():
        if not field_name.endswith(("_at", "_date")):
            continue
        fmt = profiles[index].date
        header = plan.headers[index]
        if fmt is None:
            fmt = DateFormat("iso", 0.0)  # values will be rejected one by one, with the reason
        if fmt.ambiguous:
            order = date_order.get(header) if isinstance(date_order, dict) else date_order
            if order in ORDERS:
                fmt = fmt.with_order(order)
            else:
                plan.ambiguous_dates.append(header)
        plan.dates[index] = fmt
        plan.date_formats[header] = "month/day/year or day/month/year?" if fmt.ambiguous else fmt.label


def _plan_durations(plan: ImportPlan, profiles: dict[int, m.ColumnProfile]) -> None:
    for field_name in ("response_time_s", "resolution_time_s"):
        index = plan.fields.get(field_name)
        if index is None:
            continue
        header = plan.headers[index]
        if profiles[index].date is None:
            factor = m.duration_factor(header)
            if factor is None:
                factor = 1.0
                plan.notes.append(f'"{header}" does not name its unit; read as seconds.')
            plan.durations[field_name] = ("number", factor)
            continue
        start = plan.fields.get("occurred_at")
        start_header = plan.headers[start] if start is not None else None
        if start_header and _CREATION.search(start_header):
            plan.durations[field_name] = ("since", 1.0)
            plan.dates[index] = profiles[index].date
            plan.notes.append(f'"{header}" holds timestamps; stored as seconds since "{start_header}".')
        else:
            del plan.fields[field_name]
            plan.mapping.pop(header, None)
            plan.unmapped.append(header)
            plan.notes.append(
                f'"{header}" holds timestamps, not durations, and the file has no ticket creation time to measure '
                f"from{' (' + repr(start_header) + ' is not one)' if start_header else ''}; it was not stored."
            )


def _note_ticket_date(plan: ImportPlan) -> None:
    # A help-desk export may have no "created" column; the date we took instead (the purchase date,
    # say) dates every ticket and its rating, so the user must see it and be able to correct it.
    index = plan.fields.get("occurred_at")
    if plan.kind != "interactions+responses" or index is None or _CREATION.search(plan.headers[index]):
        return
    plan.notes.append(
        f'"{plan.headers[index]}" was used as the date of each ticket (occurred_at) and of its rating; '
        "if another column says when the ticket was opened, map that one to occurred_at."
    )


def _check_required(plan: ImportPlan) -> None:
    missing = []
    for part in plan.kind.split("+"):
        needed = REQUIRED[part]
        if part == "responses" and plan.kind == "interactions+responses":
            continue  # ratings take the date of their ticket
        if needed not in plan.fields:
            missing.append(needed)
        if part == "responses" and not plan.scores:
            missing.append("a score column")
    if missing:
        what = {"customer_id": "a customer id column", "occurred_at": "a date column", "responded_at": "a date column"}
        needs = " and ".join(dict.fromkeys(what.get(x, x) for x in missing))
        plan.problems = (
            f'"{plan.file_name}" looks like a {plan.kind} file but has no {needs}; map one with --map "Column=field".'
        )
