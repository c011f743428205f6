"""What a file is and how it will be stored: the plan a user reviews before importing.

`analyse()` reads the file into a throw-away staging database, measures every
column, and builds a plan here: the kind(s) of record each row holds, one field
per column (the user's own choices first, never overridden), the scale of each
rating column, the dates, and notes that say why. Nothing touches the CX database.

The plan's notes are open to more checks: a function appended to `PLAN_CHECKS`
is called as `check(plan, profiles)` at the end of every plan and may add `Note`s
(personal-data detection, say); a note with severity "warning" needs the user's
confirmation before the file is imported.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from cx.ingest import mapping as m
from cx.ingest import read
from cx.ingest.dates import ORDER_LABELS, ORDERS, TRIED, DateFormat
from cx.ingest.detect import (
    SURVEY_NAMES_SQL,
    distinct_count,
    distinct_rows,
    known_id_column,
    profile_columns,
    value_sql,
)
from cx.ingest.messages import quoted_list, say
from cx.ingest.read import ImportRefused, Staged

ATTRIBUTE = "attribute"  # a user's choice: keep the column as a customer attribute, no field
ERRORS_IN_PLAN = 20
PREVIEW_ROWS = 20
REQUIRED = {"customers": "customer_id", "interactions": "occurred_at", "responses": "responded_at"}
_CREATION = re.compile(r"creat|open|submit|receiv|start|logged|raised|erstellt|criad|cread", re.I)
GROUND_FIELDS = ("customer_id", "name", "segment", "region", "plan", "signup_date", "churn_date", "churned",
                 "interaction_id", "date", "channel", "journey_stage", "touchpoint", "outcome", "response_time_s",
                 "resolution_time_s", "revenue", "response_id", "responded_at", "comment", "id")  # fmt: skip
# A user's concrete field stands for this field of the first pass (which resolves dates and ids by kind).
_GROUND = {"occurred_at": "date"}
THINGS = {"interactions": "interaction", "responses": "answer", "interactions+responses": "ticket",
          "customers+responses": "answer"}  # fmt: skip


class UsageError(ImportRefused):
    """The caller asked for something that does not fit the file (an unknown column, field, kind or sheet)."""


class Note(str):
    """One thing the plan says, about a column (shown beside its row) or the whole file.

    A string, so it reads as its text anywhere, with what a page needs to place it and whether it
    must be confirmed before the import."""

    column: str | None
    code: str  # which check wrote it: "scale", "grain", "file_date", "few_rows", ...
    severity: str  # info | warning (needs confirmation before import)

    def __new__(cls, text: str, column: str | None = None, code: str = "info", severity: str = "info") -> Note:
        note = super().__new__(cls, text)
        note.column, note.code, note.severity = column, code, severity
        return note

    @property
    def text(self) -> str:
        return str(self)

    def as_json(self) -> dict:
        return {"text": self.text, "column": self.column, "code": self.code, "severity": self.severity}


@dataclass
class ScoreColumn:
    index: int
    header: str
    survey: str | None  # None: the survey is named per row by the file's survey column
    touchpoint: str | None = None
    not_applicable: tuple[int, ...] = ()
    question: str | None = None  # the question's own text, kept with every answer

    @property
    def zero_is_no_answer(self) -> bool:
        return 0 in self.not_applicable

    @property
    def key(self) -> str:
        """A stable, SQL-safe token for this column, part of each response's id."""
        return hashlib.md5(self.header.encode()).hexdigest()[:8]


@dataclass
class ColumnChoice:
    """One row of the mapping table: a source column, what it is stored as, and why."""

    column: str
    field: str | None  # None: not stored (or kept as a customer attribute)
    reason: str
    samples: list[str] = field(default_factory=list)
    chosen_by: str = "guess"  # guess | you
    stored_in: str | None = None  # customers | interactions | responses | attribute
    suggestion: str | None = None  # a field its values fit, offered as a one-click fix when nothing is stored


@dataclass
class ScorePreview:
    """What one rating column will produce: its values and its headline figure."""

    column: str
    survey: str
    histogram: dict[str, int]  # value (or "blank", "not applicable") -> rows
    n: int
    value: float | None
    figure: str  # "CSAT 60.5% on 3,584 answers"


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
    problem_column: str | None = None  # the column the problem is about, shown beside its row
    notes: list[Note] = field(default_factory=list)
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
    columns: list[ColumnChoice] = field(default_factory=list)
    previews: list[ScorePreview] = field(default_factory=list)
    file_date: date | None = None  # the date of every row, when no column gives one
    file_date_source: str | None = None
    saved_mapping: str | None = None
    # Internal: what the checks need.
    fields: dict[str, int] = field(default_factory=dict, repr=False)  # field -> column index (single-valued)
    scores: list[ScoreColumn] = field(default_factory=list, repr=False)
    dates: dict[int, DateFormat] = field(default_factory=dict, repr=False)
    durations: dict[str, tuple[str, float]] = field(default_factory=dict, repr=False)  # field -> (number|since, factor)
    decimal_comma: set[int] = field(default_factory=set, repr=False)
    unreadable: list[dict] = field(default_factory=list, repr=False)
    composite_key: list[int] = field(default_factory=list, repr=False)  # columns joined into the customer id
    churned_when_filled: bool = field(default=False, repr=False)
    dated_by_file: set[str] = field(default_factory=set, repr=False)  # date fields taken from file_date
    unique_columns: set[int] = field(default_factory=set, repr=False)  # columns measured to repeat no filled value

    @property
    def warnings(self) -> list[Note]:
        return [n for n in self.notes if n.severity == "warning"]

    def note(self, text: str, column: str | None = None, code: str = "info", severity: str = "info") -> None:
        self.notes.append(Note(text, column, code, severity))

    def full_mapping(self) -> dict[str, str]:
        """Every column's field, "ignore" for those not stored: what a saved mapping keeps to repeat this plan."""
        return {h: self.mapping.get(h, "ignore") for h in self.headers if h not in self.attributes or h in self.mapping}

    def notes_for(self, column: str) -> list[Note]:
        return [n for n in self.notes if n.column == column]


# Checks other modules add (personal data, say): check(plan, profiles) -> None, adding Notes.
PLAN_CHECKS: list[Callable[[ImportPlan, list[m.ColumnProfile]], None]] = []


@contextmanager
def staging_database():
    """A private DuckDB file in a temporary folder, deleted afterwards."""
    with tempfile.TemporaryDirectory(prefix="cx-import-") as folder:
        workdir = Path(folder)
        con = duckdb.connect(str(workdir / "stage.duckdb"))
        # The stage lives for one import: compressing its tables costs more time than the disk it saves.
        con.execute("SET enable_progress_bar = false; SET TimeZone = 'UTC'; SET force_compression = 'uncompressed'")
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
    return sum(1 for h in read.clean_headers(rows[0]) if m.match_header(m.ColumnProfile(0, h)))


# --- the plan -------------------------------------------------------------------------------------


@dataclass
class _Evidence:
    """What the first look found, before the kind is known."""

    ratings: dict[int, m.Scale]
    long: tuple[int, int] | None  # (survey column, score column) of a long-format survey
    roles: dict[int, str]  # column -> ground field (date, id, customer_id, ...)
    reasons: dict[int, str]


def build_plan(con, staged: Staged, profiles, file_name: str, kind=None, mapping=None, date_order=None,
               known_ids: Callable[[], pa.Table | None] | None = None, file_date: date | None = None,
               file_date_source: str | None = None) -> ImportPlan:  # fmt: skip
    """`known_ids`: fetches the customer ids already stored, asked only when no header names the customer."""
    plan = ImportPlan(file_name, headers=staged.headers, sheets=staged.sheets, sheet=staged.sheet, rows=staged.rows,
                      source_format=staged.format, unreadable=staged.unreadable)  # fmt: skip
    plan.notes = [Note(text, code="reading") for text in staged.notes]
    if kind is not None and kind not in m.KINDS:
        raise UsageError(say("unknown_kind", kind=kind, kinds=", ".join(m.KINDS)))
    by_index = {p.index: p for p in profiles}
    fixed = _user_choices(mapping or {}, staged.headers, file_name)
    unique = _Uniqueness(con, by_index)
    known = _known_id(con, plan, profiles, fixed, known_ids)
    evidence = _first_look(con, plan, profiles, fixed, unique, known, not staged.has_header)
    plan.kind, composite = _decide_kind(con, plan, evidence, fixed, unique, by_index, kind)
    if plan.kind is None:
        plan.problems = say("no_fields", file=file_name, columns=quoted_list(staged.headers, 10))
        plan.unmapped = list(staged.headers)
        plan.columns = [
            ColumnChoice(h, None, "not recognised", by_index[i].samples, suggestion=m.values_suggest(by_index[i]))
            for i, h in enumerate(staged.headers)
        ]
        return plan
    plan.composite_key = composite
    headerless = not staged.has_header
    fields, reasons = _second_look(plan, profiles, evidence, fixed, unique, known, headerless)
    _note_displaced(plan, profiles, evidence, fixed, fields, unique, known, headerless)
    _plan_scores(plan, fields, evidence, fixed, by_index)
    plan.fields = {f: i for i, f in fields.items() if f not in m.SCORE_FIELDS and f not in ("score", "ignore")}
    _churned_from_filled(con, plan, fields, reasons, by_index)
    plan.mapping = {staged.headers[i]: f for i, f in sorted(fields.items()) if f != "ignore"}
    plan.unmapped = [h for i, h in enumerate(staged.headers) if fields.get(i, "ignore") == "ignore"]
    if plan.kind.startswith("customers"):
        scored = {s.index for s in plan.scores}
        kept = [h for i, h in enumerate(staged.headers) if i not in fields and i not in scored]
        if plan.churned_when_filled:
            kept.append(staged.headers[plan.fields["churned"]])
        plan.attributes = [h for h in staged.headers if h in kept]
    plan.decimal_comma = {i for i, p in by_index.items() if p.decimal_comma}
    _plan_dates(plan, by_index, date_order, fixed)
    _plan_durations(plan, by_index)
    _note_ticket_date(plan)
    _check_required(plan, file_date, file_date_source)
    _note_questions(plan, by_index)
    if plan.kind == "interactions+responses" and "customer_id" not in plan.fields:
        mail = next((h for h in plan.unmapped if "mail" in h.lower()), None)
        if mail:
            plan.note(say("email_unmapped", column=mail), column=mail, code="personal_data")
    plan.columns = _choices(plan, fields, reasons, fixed, by_index)
    # What the detection measured exactly anyway: an id column none of whose values repeats needs no
    # search for repeats when its rows are stored.
    plan.unique_columns = {i for i, distinct in unique.known.items() if distinct >= by_index[i].filled}
    for check in PLAN_CHECKS:
        check(plan, profiles)
    return plan


def _user_choices(overrides: dict[str, str], headers: list[str], file_name: str) -> dict[int, str]:
    """The user's mapping as column index -> field; it is law, so it is checked strictly."""
    lookup = {h: i for i, h in enumerate(headers)} | {h.strip().lower(): i for i, h in enumerate(headers)}
    fixed: dict[int, str] = {}
    for source, target in overrides.items():
        index = lookup.get(source, lookup.get(source.strip().lower()))
        if index is None:
            raise UsageError(say("unknown_column", file=file_name, column=source, columns=", ".join(headers)))
        if target not in m.FIELDS and target != ATTRIBUTE:
            raise UsageError(say("unknown_field", field=target, fields=", ".join(m.FIELDS)))
        taken = next((i for i, f in fixed.items() if f == target), None)
        if taken is not None and target not in m.SCORE_FIELDS and target not in ("ignore", "score", ATTRIBUTE):
            raise UsageError(say("one_column_per_field", first=headers[taken], second=headers[index], field=target))
        fixed[index] = target
    return fixed


class _Uniqueness:
    """Whether a column's values never repeat, measured exactly and only when asked."""

    def __init__(self, con, profiles: dict[int, m.ColumnProfile]):
        self.con, self.profiles, self.known, self.rows = con, profiles, {}, None

    def distinct(self, index: int) -> int:
        if index not in self.known:
            self.known[index] = distinct_count(self.con, [index])
        return self.known[index]

    def __call__(self, index: int) -> float:
        """Distinct values ÷ filled rows: 1.0 when no value repeats, or when only exact copies of rows repeat it."""
        p = self.profiles[index]
        if self.distinct(index) >= p.filled:
            return 1.0
        if self.rows is None:
            self.rows = distinct_rows(self.con, len(self.profiles))
        if p.filled == p.rows and self.distinct(index) >= self.rows:
            return 1.0  # a ticket exported twice: the copy is a duplicate, the id still names the row
        return self.distinct(index) / max(p.filled, 1)


def _known_id(con, plan, profiles, fixed, known_ids) -> int | None:
    named = "customer_id" in fixed.values() or any(m.header_score("customer_id", p.header) >= 0.8 for p in profiles)
    if known_ids is None or named:
        return None
    candidates = [p for p in profiles if p.index not in fixed and m.match_header(p) is None and p.date is None]
    known = known_ids() if candidates else None
    if known is None or not (found := known_id_column(con, candidates, known)):
        return None
    index, share = found
    plan.note(say("known_ids", column=plan.headers[index], share=f"{share:.0%}"), column=plan.headers[index],
              code="known_ids")  # fmt: skip
    return index


def _score(p: m.ColumnProfile, ground: str, unique, known: int | None, headerless: bool) -> tuple[float, str]:
    """(score, reason) for a column as one ground field: header evidence times value fit, or value evidence."""
    header = m.header_score(ground, p.header)
    needs_unique = ground in ("interaction_id", "response_id", "id")
    is_unique = unique(p.index) if needs_unique and header and p.filled else None
    fitted = m.fit(ground, p, is_unique)
    score, reason = header * fitted, f'header "{m._shorten(p.header, 40)}"'
    if ground == "date" and fitted and p.date.share >= 0.8 and score < 0.35:
        score, reason = 0.35, "the only kind of value it holds is dates"
    if ground == "customer_id" and known == p.index:
        score, reason = 0.95, "its values are customer ids already stored"
    if headerless and ground == "customer_id" and (p.leading_zero or (p.mostly(p.integer) and p.distinct < p.filled)):
        score, reason = max(score, 0.5), "no header; its values look like ids that repeat"
    if headerless and ground == "revenue" and p.mostly(p.numeric) and p.integer < p.numeric:
        score, reason = max(score, 0.5), "no header; its values are amounts with decimals"
    if score < m.MIN_SCORE:
        return 0.0, ""
    return score, reason + _values_phrase(ground, p)


def _values_phrase(ground: str, p: m.ColumnProfile) -> str:
    if ground in m.DATE_FIELDS or ground == "date":
        return f"; dates ({p.date.label})" if p.date else ""
    if ground == "churned":
        return "; yes/no values"
    if ground in ("interaction_id", "response_id", "id"):
        return "; every value differs"
    if ground in ("response_time_s", "resolution_time_s"):
        return "; timestamps" if p.date else "; numbers"
    if ground == "revenue":
        return "; numbers"
    return ""


def _assign(candidates: list[m.ColumnProfile], targets: dict[str, list[str]], unique, known, headerless: bool):
    """Best one-to-one assignment of candidate columns to target fields; `targets`: field -> its ground fields."""
    names = list(targets)
    matrix, why = [], {}
    for position, p in enumerate(candidates):
        row = []
        for name in names:
            best, reason = 0.0, ""
            for ground in targets[name]:
                score, text = _score(p, ground, unique, known, headerless)
                if score > best:
                    best, reason = score, text
            # Ties go to the leftmost column, as a person reading the file would choose.
            row.append(best + (1e-4 * (1 - position / max(len(candidates), 1)) if best else 0.0))
            why[(p.index, name)] = reason
        matrix.append(row)
    chosen = m.best_assignment(matrix)
    return (
        {candidates[r].index: names[c] for r, c in chosen.items()},
        {candidates[r].index: why[(candidates[r].index, names[c])] for r, c in chosen.items()},
    )


def _first_look(con, plan, profiles, fixed, unique, known, headerless) -> _Evidence:
    long = _long_format(con, profiles, fixed)
    ratings: dict[int, m.Scale] = {}
    battery = {} if headerless else m.battery_columns(p for p in profiles if p.index not in fixed)
    for p in profiles:
        if p.index in fixed or headerless or (long and p.index in long):
            continue
        if max(m.header_score(f, p.header) * m.fit(f, p) for f in GROUND_FIELDS) >= 0.9:
            continue  # "Ticket ID", "Customer Age": a field says it better than a rating would
        decided = m.rating_scale(p, battery=battery.get(p.index))
        if isinstance(decided, m.Scale):
            ratings[p.index] = decided
        elif isinstance(decided, m.Refusal):
            plan.note(say("refused_rating", column=p.header, reason=decided.reason), column=p.header, code="scale")
    taken = {_GROUND.get(f, f) for f in fixed.values()}
    targets = {f: [f] for f in GROUND_FIELDS if f not in taken}
    rest = [p for p in profiles if p.index not in fixed and p.index not in ratings and not (long and p.index in long)]
    roles, reasons = _assign(rest, targets, unique, known, headerless)
    roles |= {i: _GROUND.get(f, f) for i, f in fixed.items() if f not in ("ignore", ATTRIBUTE)}
    return _Evidence(ratings, long, roles, reasons)


def _long_format(con, profiles, fixed) -> tuple[int, int] | None:
    """(survey column, score column) when one column names the survey of each row and another holds the score."""
    survey = next((p for p in profiles if fixed.get(p.index) == "survey"), None)
    if survey is None:
        named = [
            p
            for p in profiles
            if p.index not in fixed and m.header_score("survey", p.header) >= 0.8 and m.fit("survey", p)
        ]
        for p in named:
            v = value_sql(f"c{p.index}")
            naming, filled = con.execute(
                f"SELECT count(*) FILTER (WHERE {SURVEY_NAMES_SQL.format(v='v')}), count(v) FROM (SELECT {v} AS v FROM staged)"
            ).fetchall()[0]
            if filled and naming >= 0.5 * filled:
                survey = p
                break
    if survey is None:
        return None
    score = next((p for p in profiles if fixed.get(p.index) == "score"), None)
    if score is None:
        scored = [
            p
            for p in profiles
            if p.index not in fixed and m.header_score("score", p.header) >= 0.8 and m.fit("score", p)
        ]
        score = scored[0] if scored else None
    return (survey.index, score.index) if score is not None else None


def _decide_kind(con, plan, evidence: _Evidence, fixed, unique, by_index, declared) -> tuple[str | None, list[int]]:
    """The kind(s) of record each row holds; the grain (one row per customer or per event) decides."""
    roles = set(evidence.roles.values())
    scored = bool(evidence.ratings) or evidence.long is not None or any(f in m.SCORE_FIELDS for f in fixed.values())
    if declared in ("interactions", "customers"):
        return (f"{declared}+responses" if scored else declared), []
    if declared == "responses":
        return "responses", []
    customer = next((i for i, f in evidence.roles.items() if f == "customer_id"), None)
    # A "date_unregistration" of day numbers is no date, but it still says the rows are subscriptions.
    subscription = bool(roles & {"churned", "signup_date", "churn_date"}) or any(
        m.header_score(f, by_index[i].header) >= 0.8
        for i in by_index
        if i not in evidence.roles
        for f in ("signup_date", "churn_date", "churned")
    )
    repeats = customer is not None and unique.distinct(customer) < 0.95 * by_index[customer].filled
    attributes = roles & {"churned", "signup_date", "churn_date", "segment", "plan", "region"}
    ticket = roles & {"interaction_id", "outcome", "response_time_s", "resolution_time_s", "revenue"}
    eventish = ticket | (roles & {"channel", "touchpoint", "journey_stage"})
    dated = "date" in roles
    if scored:
        if ticket and "response_id" not in roles:
            return "interactions+responses", []
        if customer is not None and not repeats and attributes:
            return "customers+responses", []
        return "responses", []
    if customer is not None and repeats:
        header, p = plan.headers[customer], by_index[customer]
        if subscription and not ticket:
            composite = _composite_key(con, customer, evidence, by_index)
            if composite:
                others = quoted_list([plan.headers[i] for i in composite[1:]])
                example = "/".join(by_index[i].samples[0] if by_index[i].samples else "…" for i in composite)
                plan.note(say("composite", column=header, ids=f"{unique.distinct(customer):,}", rows=f"{p.filled:,}",
                              others=others, example=example), column=header, code="grain")  # fmt: skip
                return "customers", composite
        plan.note(say("grain", column=header, ids=f"{unique.distinct(customer):,}", rows=f"{p.filled:,}",
                      thing="an interaction", kind=m.KIND_LABELS["interactions"]), column=header, code="grain")  # fmt: skip
        return "interactions", []
    if ticket and (dated or "interaction_id" in roles):
        return "interactions", []
    if customer is not None:
        return "customers", []
    if dated and eventish:
        return "interactions", []
    if subscription:
        return "customers", []
    return None, []


def _composite_key(con, customer: int, evidence: _Evidence, by_index) -> list[int]:
    """The customer id plus the fewest category columns that together never repeat (a registration per course)."""
    from itertools import combinations

    taken = set(evidence.roles) | set(evidence.ratings)
    candidates = [p.index for p in by_index.values() if p.index not in taken and not p.nearly_empty and p.date is None
                  and not p.mostly(p.numeric) and 1 < p.distinct <= 1000][:8]  # fmt: skip
    rows = by_index[customer].filled
    for size in (1, 2):
        for combo in combinations(candidates, size):
            if all(by_index[i].filled == rows for i in combo) and distinct_count(con, [customer, *combo]) == rows:
                return [customer, *combo]
    return []


def _targets(kind: str, fixed_fields: set[str]) -> dict[str, list[str]]:
    """The concrete fields a kind can fill, each with the ground fields that are evidence for it."""
    main_id = {"customers": "customer_id", "interactions": "interaction_id", "responses": "response_id",
               "interactions+responses": "interaction_id", "customers+responses": "customer_id"}[kind]  # fmt: skip
    event_date = {"customers": "signup_date", "interactions": "occurred_at", "responses": "responded_at",
                  "interactions+responses": "occurred_at", "customers+responses": "responded_at"}[kind]  # fmt: skip
    allowed = m.fields_for(kind) - set(m.SCORE_FIELDS) - {"score", "survey", "ignore"} - fixed_fields
    targets = {}
    for name in sorted(allowed, key=lambda f: m.FIELDS.index(f)):
        grounds = [name] if name != "occurred_at" else []
        if name == event_date:
            grounds.append("date")
        if name == main_id:
            grounds.append("id")
        targets[name] = grounds
    return targets


def _second_look(
    plan, profiles, evidence: _Evidence, fixed, unique, known, headerless
) -> tuple[dict[int, str], dict[int, str]]:
    """Column -> concrete field for the kind, the user's choices first; ratings keep their scales."""
    taken = set(fixed.values())
    long = evidence.long or ()
    rest = [p for p in profiles if p.index not in fixed and p.index not in evidence.ratings and p.index not in long]
    fields, reasons = _assign(rest, _targets(plan.kind, taken), unique, known, headerless)
    for index, scale in evidence.ratings.items():
        fields[index], reasons[index] = f"{scale.survey}_score", scale.reason
    if evidence.long:
        survey, score = evidence.long
        fields.setdefault(survey, "survey")
        fields.setdefault(score, "score")
        reasons[survey] = "names the survey of each row"
        reasons[score] = "the score of each row, on the scale of the row's survey"
    for index, chosen in fixed.items():
        if chosen != ATTRIBUTE:  # kept as a customer attribute: stored as no field
            fields[index], reasons[index] = chosen, "your choice"
    allowed = m.fields_for(plan.kind)
    return {i: f for i, f in fields.items() if f in allowed or f in m.SCORE_FIELDS or f in ("score", "survey")}, reasons


def _note_displaced(plan, profiles, evidence, fixed, fields, unique, known, headerless) -> None:
    """Say what a user's choice displaced: the column our guess had for that field, and where it went."""
    chosen = {f: i for i, f in fixed.items() if f not in ("ignore", *m.SCORE_FIELDS)}
    if not chosen:
        return
    long = evidence.long or ()
    rest = [p for p in profiles if p.index not in evidence.ratings and p.index not in long]
    guessed, _ = _assign(rest, _targets(plan.kind, set()), unique, known, headerless)
    for index, guess in guessed.items():
        if guess in chosen and chosen[guess] != index and index not in fixed:
            now = fields.get(index)
            plan.note(say("displaced", column=plan.headers[index], field=guess, chosen=plan.headers[chosen[guess]],
                          now=f"stored as {now}" if now else "not stored"), column=plan.headers[index],
                      code="displaced")  # fmt: skip


def _question(header: str) -> str | None:
    """The question a rating column answers: its header, unchanged, when the header says more than a label.

    "NPS", "CSAT score" or "Q7" name a column, not a question: such answers count with the survey's one
    question (as every month's "NPS" file does), while "How likely are you to recommend R…?" is kept apart."""
    return header if len(m.normalise(header).split()) >= 3 else None


def _plan_scores(plan: ImportPlan, fields: dict[int, str], evidence: _Evidence, fixed, profiles) -> None:
    for index, field_name in sorted(fields.items()):
        header = plan.headers[index]
        if field_name in m.SCORE_FIELDS:
            survey = m.SCORE_FIELDS[field_name]
            scale = evidence.ratings.get(index)
            na = (
                scale.not_applicable
                if scale and index not in fixed
                else ((0,) if m.zero_means_no_answer(header) else ())
            )
            plan.scores.append(ScoreColumn(index, header, survey, not_applicable=na, question=_question(header)))
        elif field_name == "score":
            if "survey" in fields.values():
                plan.scores.append(
                    ScoreColumn(index, header, None, not_applicable=(0,) if m.zero_means_no_answer(header) else ())
                )
            else:  # a user's bare "score": the values tell the scale
                p = profiles[index]
                decided = m.rating_scale(p, battery=next((t for t in (5, 7, 10) if (p.maximum or 0) <= t), None))
                survey = decided.survey if isinstance(decided, m.Scale) else "nps"
                fields[index] = f"{survey}_score"
                plan.note(f'"{header}" read as {m.SURVEY_LABELS[survey]} from its values.', column=header, code="scale")
                plan.scores.append(ScoreColumn(index, header, survey, question=_question(header)))
    surveys = [s.survey for s in plan.scores]
    for score in plan.scores:
        # Several questions on one survey: each keeps its header, unchanged, as the touchpoint it asks about.
        if score.survey and surveys.count(score.survey) > 1 and "touchpoint" not in fields.values():
            score.touchpoint = score.header


def _churned_from_filled(con, plan, fields, reasons, profiles) -> None:
    """A churn date written as a day number (days since the course start): filled means churned."""
    if not plan.kind.startswith("customers") or "churned" in plan.fields or "churn_date" in plan.fields:
        return
    for index, p in profiles.items():
        if index in fields or not p.mostly(p.numeric) or m.header_score("churn_date", p.header) < 0.8:
            continue
        fields[index], plan.fields["churned"], plan.churned_when_filled = "churned", index, True
        reasons[index] = "a filled value means churned (the values are day numbers, not dates)"
        plan.note(say("churn_filled", column=p.header, low=f"{p.minimum:g}", high=f"{p.maximum:g}",
                      churned=f"{p.filled:,}", rows=f"{plan.rows:,}"), column=p.header, code="dates")  # fmt: skip
        return


def _plan_dates(plan: ImportPlan, profiles: dict[int, m.ColumnProfile], date_order, fixed) -> None:
    for field_name, index in plan.fields.items():
        if not field_name.endswith(("_at", "_date")):
            continue
        fmt = profiles[index].date
        header = plan.headers[index]
        if fmt is None:
            p = profiles[index]
            samples = ", ".join(f'"{v}"' for v in p.samples) or "none"
            formats = ", ".join(ORDER_LABELS[f] for f in TRIED)
            plan.problems = say("unreadable_dates", column=header, file=plan.file_name, field=field_name,
                                samples=samples, formats=formats)  # fmt: skip
            plan.problem_column = header
            fmt = DateFormat("iso", 0.0)
        if fmt.ambiguous:
            order = date_order.get(header) if isinstance(date_order, dict) else date_order
            if order in ORDERS:
                fmt = fmt.with_order(order)
            else:
                plan.ambiguous_dates.append(header)
        plan.dates[index] = fmt
        plan.date_formats[header] = "month/day/year or day/month/year?" if fmt.ambiguous else fmt.label
    for index, p in profiles.items():
        # "date_registration" holding day numbers: say why it is not a date (churn columns say so themselves).
        if (
            index not in plan.fields.values()
            and p.mostly(p.numeric)
            and p.date is None
            and m.header_score("signup_date", p.header) >= 0.8
        ):
            plan.note(say("day_numbers", column=p.header, low=f"{p.minimum:g}", high=f"{p.maximum:g}",
                          field="signup_date"), column=p.header, code="dates")  # fmt: skip


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
                plan.note(say("no_unit", column=header), column=header, code="units")
            plan.durations[field_name] = ("number", factor)
            continue
        start = plan.fields.get("occurred_at")
        start_header = plan.headers[start] if start is not None else None
        if start_header and _CREATION.search(start_header):
            plan.durations[field_name] = ("since", 1.0)
            plan.dates[index] = profiles[index].date
            plan.note(say("timestamps_since", column=header, start=start_header), column=header, code="units")
        else:
            del plan.fields[field_name]
            plan.mapping.pop(header, None)
            plan.unmapped.append(header)
            detail = f' ("{start_header}" is not one)' if start_header else ""
            plan.note(say("timestamps_dropped", column=header, detail=detail), column=header, code="units")


def _note_ticket_date(plan: ImportPlan) -> None:
    # A help-desk export may have no "created" column; the date we took instead (the purchase date,
    # say) dates every ticket and its rating, so the user must see it and be able to correct it.
    index = plan.fields.get("occurred_at")
    if plan.kind != "interactions+responses" or index is None or _CREATION.search(plan.headers[index]):
        return
    plan.note(say("ticket_date", column=plan.headers[index]), column=plan.headers[index], code="dates")


def _check_required(plan: ImportPlan, file_date: date | None, source: str | None) -> None:
    """A missing id is a problem; a missing date is asked for: the file's date unless the user gives another."""
    if plan.kind.startswith("customers") and "customer_id" not in plan.fields:
        plan.problems = plan.problems or say("missing", file=plan.file_name, kind=m.KIND_LABELS[plan.kind],
                                             needs="a customer id", field="customer_id")  # fmt: skip
    if "responses" in plan.kind and not plan.scores:
        plan.problems = plan.problems or say("missing", file=plan.file_name, kind=m.KIND_LABELS[plan.kind],
                                             needs="a score", field="csat_score")  # fmt: skip
    missing = []
    if "interactions" in plan.kind and "occurred_at" not in plan.fields:
        missing.append("occurred_at")
    if plan.kind in ("responses", "customers+responses") and "responded_at" not in plan.fields:
        missing.append("responded_at")
    if not missing:
        return
    plan.file_date = file_date or date.today()
    plan.file_date_source = source or ("the date you gave" if file_date else "today's date")
    plan.dated_by_file = set(missing)
    plan.note(say("file_date", file=plan.file_name, thing=THINGS.get(plan.kind, "row"),
                  date=plan.file_date.isoformat(), source=plan.file_date_source), code="file_date")  # fmt: skip


def _note_questions(plan: ImportPlan, profiles) -> None:
    """Two questions on one scale are kept apart; say so, and which one a headline figure uses."""
    by_survey: dict[str, list[ScoreColumn]] = {}
    for score in plan.scores:
        if score.survey:
            by_survey.setdefault(score.survey, []).append(score)
    for survey, columns in by_survey.items():
        if len(columns) < 2:
            continue
        answered = {s.index: profiles[s.index].filled for s in columns}
        headline = max(columns, key=lambda s: (answered[s.index], -s.index))
        listing = "; ".join(f'"{m._shorten(s.header, 50)}" ({answered[s.index]:,} answers)' for s in columns[:4])
        if len(columns) > 4:
            listing += f"; and {len(columns) - 4} more"
        plan.note(say("questions", count=len(columns), survey=m.SURVEY_LABELS[survey], listing=listing,
                      headline=m._shorten(headline.header, 50)), code="questions")  # fmt: skip


def _choices(plan: ImportPlan, fields, reasons, fixed, profiles) -> list[ColumnChoice]:
    tables = {f: "customers" for f in m.CUSTOMER_FIELDS} | {f: "interactions" for f in m.INTERACTION_FIELDS}
    tables |= {f: "responses" for f in ("response_id", "responded_at", "survey", "score", "comment", *m.SCORE_FIELDS)}
    choices = []
    for index, header in enumerate(plan.headers):
        chosen = fields.get(index)
        if chosen == "ignore" or (chosen and header not in plan.mapping):
            chosen = None
        if chosen:
            reason = reasons.get(index) or "your choice"
            stored = tables.get(chosen, plan.kind.split("+")[0])
            if (
                chosen in ("customer_id", "touchpoint", "channel", "journey_stage", "interaction_id")
                and "+" in plan.kind
            ):
                stored = plan.kind.replace("+", " and ")
        elif header in plan.attributes:
            reason, stored = "kept as a customer attribute to filter and segment by", "attribute"
        else:
            p = profiles[index]
            reason = (
                "nearly empty" if p.nearly_empty else "ignored by you" if fixed.get(index) == "ignore" else "not stored"
            )
            stored = None
        choices.append(ColumnChoice(header, chosen, reason, profiles[index].samples,
                                    "you" if index in fixed else "guess", stored))  # fmt: skip
    return choices
