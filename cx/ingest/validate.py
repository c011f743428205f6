"""Row-level checks, and the rows ready to store, built in the staging database.

Every record gets its parsed values and a list of problems, each naming the
column and a reason code; records with no problem become the `ready_*` tables
(one per target table), records with problems become error messages that name
the row, the column, the value and the reason. All SQL here is built from our
own field names and the staging columns c0, c1, ...; no header or value from
the file is spliced into it.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import duckdb

from cx.ingest.detect import flag_sql, number_sql, value_sql
from cx.ingest.plan import ImportPlan, ScoreColumn
from cx.store.schema import SURVEY_SCALES

TEXT_FIELDS = ("customer_id", "name", "segment", "region", "plan", "interaction_id", "response_id", "channel",
               "journey_stage", "touchpoint", "outcome", "comment")  # fmt: skip
THING = {"customers": "customer", "interactions": "interaction", "responses": "survey response"}
NEED = {
    "interaction_id": "an id",
    "response_id": "an id",
    "customer_id": "a customer id",
    "occurred_at": "a date",
    "responded_at": "a date",
}


# Plausible values, checked at import: an out-of-range value is a rejected row with its reason.
EARLIEST_DATE = date(1900, 1, 1)
DATES_AHEAD = timedelta(days=366)  # the latest plausible date: a year after the import
MAX_AMOUNT = 1e12  # revenue in either direction: a refund or credit note is negative and stored as given
MAX_DURATION_S = 10 * 366 * 86400.0  # ten years; a duration is never negative


def date_window(plan: ImportPlan, today: date | None = None) -> tuple[date, date] | None:
    """The dates this import accepts, or None when the user accepted any date."""
    if plan.any_date:
        return None
    return EARLIEST_DATE, (today or date.today()) + DATES_AHEAD


def _problem(index: int, code: str, condition: str) -> str:
    return f"CASE WHEN {condition} THEN {{'col': {index}, 'code': '{code}'}} END"


# Each staged column is cleaned once (v<i>) and parsed once (n<i> number, d<i> timestamp, b<i> flag,
# u<i> survey), in nested selects; fields, scores and checks then refer to those names, so an
# expression like a date parse is not repeated for the value and again for its check.
Parts = dict[str, str]  # name of a parsed value -> its SQL over v<i>


def _field_sql(plan: ImportPlan, field: str, index: int, parts: Parts) -> tuple[str, list[str]]:
    """(parsed value, problems) for one single-valued field; adds what it parses to `parts`."""
    v, n, d = f"v{index}", f"n{index}", f"d{index}"
    problems = []
    if field in ("response_time_s", "resolution_time_s"):
        mode, factor = plan.durations[field]
        if mode == "number":
            parts[n] = number_sql(v)
            problems.append(_problem(index, "number", f"{v} IS NOT NULL AND {n} IS NULL"))
            problems.append(_problem(index, "negative", f"{n} < 0"))
            problems.append(_problem(index, "duration", f"NOT isfinite({n}) OR {n} * {factor} > {MAX_DURATION_S}"))
            return f"CASE WHEN {n} >= 0 AND {n} * {factor} <= {MAX_DURATION_S} THEN {n} * {factor} END", problems
        start = plan.fields["occurred_at"]
        parts[d] = plan.dates[index].parse_sql(v)
        parts[f"d{start}"] = plan.dates[start].parse_sql(f"v{start}")
        problems.append(_problem(index, "date", f"{v} IS NOT NULL AND {d} IS NULL"))
        # A closing time before the opening one (12 of LA's 10,000 service requests) is a wrong timestamp in a
        # real request: the request is imported without that duration, and the plan says so (before_start).
        seconds = f"date_diff('second', d{start}, {d})"
        problems.append(_problem(index, "duration", f"{seconds} > {MAX_DURATION_S}"))
        return f"CASE WHEN {d} >= d{start} AND {seconds} <= {MAX_DURATION_S} THEN {seconds}::DOUBLE END", problems
    if field.endswith(("_at", "_date")):
        parts[d] = plan.dates[index].parse_sql(v)
        problems.append(_problem(index, "date", f"{v} IS NOT NULL AND {d} IS NULL"))
        window = date_window(plan)
        if window is not None:
            low, high = (f"DATE '{day.isoformat()}'" for day in window)  # our own constants
            problems.append(_problem(index, "date_range", f"{d} < {low} OR {d} >= {high} + INTERVAL 1 DAY"))
        return (f"{d}::DATE" if field.endswith("_date") else d), problems
    if field == "customer_id" and plan.composite_key:
        # One customer record per registration: the id and the columns that make it unique, joined.
        return "concat_ws('/', " + ", ".join(f"v{i}" for i in plan.composite_key) + ")", problems
    if field == "churned" and plan.churned_when_filled:
        return f"{v} IS NOT NULL", problems  # a withdrawal day number: filled means churned
    if field == "churned":
        parts[f"b{index}"] = flag_sql(v)
        problems.append(_problem(index, "flag", f"{v} IS NOT NULL AND b{index} IS NULL"))
        return f"b{index}", problems
    if field == "revenue":
        parts[n] = number_sql(v, index in plan.decimal_comma)
        problems.append(_problem(index, "number", f"{v} IS NOT NULL AND {n} IS NULL"))
        problems.append(_problem(index, "amount", f"NOT isfinite({n}) OR abs({n}) > {MAX_AMOUNT}"))
        return f"CASE WHEN isfinite({n}) AND abs({n}) <= {MAX_AMOUNT} THEN {n} END", problems
    if field == "survey":
        parts[f"u{index}"] = (f"CASE WHEN lower({v}) LIKE '%nps%' OR lower({v}) LIKE '%promoter%' THEN 'nps' "
                              f"WHEN lower({v}) LIKE '%csat%' OR lower({v}) LIKE '%satisf%' THEN 'csat' "
                              f"WHEN lower({v}) LIKE '%ces%' OR lower({v}) LIKE '%effort%' THEN 'ces' END")  # fmt: skip
        problems.append(_problem(index, "survey", f"u{index} IS NULL"))
        return f"u{index}", problems
    return v, problems


def _score_sql(plan: ImportPlan, score: ScoreColumn, parts: Parts) -> tuple[str, str]:
    """(integer score or NULL for no answer, problem) for one score column."""
    v, n = f"v{score.index}", f"n{score.index}"
    parts[n] = number_sql(v)
    if score.survey:
        low, high = SURVEY_SCALES[score.survey]
    else:  # long format: the survey column says which scale applies
        survey = f"u{plan.fields['survey']}"
        low = f"CASE {survey} WHEN 'nps' THEN 0 ELSE 1 END"
        high = f"CASE {survey} WHEN 'nps' THEN 10 WHEN 'csat' THEN 5 ELSE 7 END"
    no_answer = f"{n} IN ({', '.join(map(str, score.not_applicable))})" if score.not_applicable else "FALSE"
    problem = (f"CASE WHEN {v} IS NULL OR {no_answer} THEN NULL "
               f"WHEN {n} IS NULL THEN {{'col': {score.index}, 'code': 'number'}} "
               f"WHEN NOT isfinite({n}) THEN {{'col': {score.index}, 'code': 'finite'}} "
               f"WHEN {n} <> floor({n}) THEN {{'col': {score.index}, 'code': 'whole'}} "
               f"WHEN {n} < {low} OR {n} > {high} THEN {{'col': {score.index}, 'code': 'scale'}} END")  # fmt: skip
    # Only a value on the scale is cast: 1e10 or inf would not fit an INTEGER and fail the whole file.
    usable = f"isfinite({n}) AND {n} = floor({n}) AND {n} BETWEEN {low} AND {high}"
    return f"CASE WHEN {v} IS NOT NULL AND NOT {no_answer} AND {usable} THEN {n}::INTEGER END", problem


def build_checked(con: duckdb.DuckDBPyConnection, plan: ImportPlan) -> None:
    """`checked(_record, f_<field>..., s<k>..., problems)` over the staged records (join `staged` for the text)."""
    selects, problems, parts = ["_record"], [], {}
    for field, index in plan.fields.items():
        parsed, field_problems = _field_sql(plan, field, index, parts)
        selects.append(f"{parsed} AS f_{field}")
        problems += field_problems
    for part in plan.kind.split("+"):
        required = {"customers": "customer_id", "interactions": "occurred_at", "responses": "responded_at"}[part]
        if required in plan.fields:
            index = plan.fields[required]
            problems.append(_problem(index, "required", f"v{index} IS NULL"))
    for field in ("interaction_id", "response_id"):
        if field in plan.fields:
            index = plan.fields[field]
            problems.append(_problem(index, "required", f"v{index} IS NULL"))
    for k, score in enumerate(plan.scores):
        value, problem = _score_sql(plan, score, parts)
        selects.append(f"{value} AS s{k}")
        problems.append(problem)
    if plan.kind == "responses" and plan.scores:
        # A respondent who answered nothing gave us no response to store (a wrong answer has its own reason).
        blank = " AND ".join(
            f"(v{s.index} IS NULL" + (f" OR n{s.index} = 0)" if s.zero_is_no_answer else ")") for s in plan.scores
        )
        problems.append(f"CASE WHEN {blank} THEN {{'col': {plan.scores[0].index}, 'code': 'noscore'}} END")
    none = "[]::STRUCT(col INTEGER, code VARCHAR)[]"
    # Most rows have no problem: the list is built only for the rows that have one.
    any_problem = " OR ".join(f"({problem}) IS NOT NULL" for problem in problems)
    problem_list = (
        f"CASE WHEN {any_problem} THEN list_filter([{', '.join(problems)}], lambda p: p IS NOT NULL) ELSE {none} END"
        if problems
        else none
    )
    used = sorted(set(plan.fields.values()) | {s.index for s in plan.scores} | set(plan.composite_key))
    values = ", ".join(["_record"] + [f"{value_sql(f'c{i}')} AS v{i}" for i in used])
    parsed = ", ".join(["*"] + [f"{sql} AS {name}" for name, sql in parts.items()])
    kept = ", ".join(["_record", *(f"f_{field}" for field in plan.fields), *(f"s{k}" for k in range(len(plan.scores)))])
    con.execute(
        f"""CREATE OR REPLACE TABLE checked AS
            SELECT {kept}, problems FROM (
                SELECT *, {problem_list} AS problems FROM (
                    SELECT *, {", ".join(selects[1:]) or "NULL AS no_field"} FROM (
                        SELECT {parsed} FROM (SELECT {values} FROM staged))))"""
    )


def before_start(con: duckdb.DuckDBPyConnection, plan: ImportPlan) -> list[tuple[str, str, int, int]]:
    """Timestamp durations that end before their interaction's own date: (column, start column, rows, first row)."""
    found = []
    for field in ("response_time_s", "resolution_time_s"):
        if field not in plan.fields or plan.durations.get(field, ("",))[0] != "since":
            continue
        index, start = plan.fields[field], plan.fields["occurred_at"]
        end_sql = plan.dates[index].parse_sql(value_sql(f"c{index}"))
        start_sql = plan.dates[start].parse_sql(value_sql(f"c{start}"))
        rows, first = con.execute(
            f"SELECT count(*), min(_record) FROM staged WHERE {end_sql} < {start_sql}"
        ).fetchall()[0]
        if rows:
            found.append((plan.headers[index], plan.headers[start], rows, first))
    return found


def rows_with(con: duckdb.DuckDBPyConnection, code: str) -> int:
    """How many checked rows have a problem of this kind."""
    return con.execute(
        "SELECT count(*) FROM checked WHERE list_contains(list_transform(problems, lambda p: p.code), ?)", [code]
    ).fetchall()[0][0]


def reason(plan: ImportPlan, index: int | None, code: str, value: str | None) -> str:
    """The reason for a problem, written to follow 'Row 51, column "X": "value" '."""
    score = next((s for s in plan.scores if s.index == index), None)
    if score is not None and code in ("scale", "whole"):
        low, high = SURVEY_SCALES.get(score.survey, ("", ""))
        label = {"rating10": "10-point rating"}.get(score.survey, (score.survey or "").upper())
        scale = f"the {label} scale {low}–{high}" if score.survey else "the scale of the row's survey"
        if code == "whole":
            return f"is not a whole number on {scale}"
        hint = (
            ' (if 0 means "no answer" here, say so in the header, e.g. "(1-5, 0 = N/A)")'
            if value in ("0", "0.0")
            else ""
        )
        return f"is outside {scale}{hint}"
    if code == "date":
        fmt = plan.dates.get(index)
        example = f', like "{fmt.example}"' if fmt is not None and fmt.example else ""
        return f"is not a date in this column's format ({fmt.label if fmt else 'a date'}{example})"
    if code == "required":
        field = next((f for f, i in plan.fields.items() if i == index), "")
        thing = THING.get(plan.kind.split("+")[0], "row")
        return f"is empty, but every {thing} needs {NEED.get(field, 'a value')}"
    if code == "date_range":
        low, high = date_window(plan) or (EARLIEST_DATE, date.today() + DATES_AHEAD)
        return (f"is outside the plausible dates {low.isoformat()} to {high.isoformat()} (if such dates are right, "
                "accept any date: --any-date, or the choice on the Data page)")  # fmt: skip
    return {
        "flag": "is not a yes/no value (expected Yes/No, 1/0 or True/False)",
        "number": "is not a number",
        "finite": "is not a finite number",
        "negative": "is negative, and a duration cannot be",
        "duration": "is longer than ten years, which no response or resolution takes",
        "before_start": "is before the interaction's own date, so no duration can be measured from it",
        "amount": f"is not a plausible amount (it must be a finite number no larger than {MAX_AMOUNT:,.0f} either way; "
        "a negative amount, a refund, is stored as given)",
        "survey": "does not name a survey we know (NPS, CSAT or CES)",
        "noscore": 'answers none of the rating questions (all blank or "no answer"), so there is nothing to store',
    }.get(code, code)


def message(error: dict) -> str:
    """`Row 51, column "How likely…": "11" is outside the NPS scale 0–10`."""
    where = f"Row {error['row']}" + (f', column "{error["column"]}"' if error.get("column") else "")
    if error.get("value") not in (None, ""):
        return f'{where}: "{error["value"]}" {error["reason"]}'
    return f"{where} {error['reason']}"


def collect_rejects(con: duckdb.DuckDBPyConnection, plan: ImportPlan) -> list[dict]:
    """One dict per problem (row, column, value, reason, record), reader rejects included, in row order."""
    columns = ", ".join(f"c{i}" for i in range(len(plan.headers)))
    rejected = con.execute(
        f"""SELECT _record, problems, {columns} FROM checked JOIN staged USING (_record)
            WHERE len(problems) > 0 ORDER BY _record"""
    ).fetchall()
    errors = [
        {
            "row": u["row"],
            "column": None,
            "value": u["raw"],
            "reason": u["reason"],
            "record": json.dumps({"line": u["raw"]}),
        }
        for u in plan.unreadable
    ]
    for record, problems, *values in rejected:
        as_json = json.dumps(dict(zip(plan.headers, values, strict=True)), ensure_ascii=False)
        seen = set()
        for problem in problems:
            index, code = problem["col"], problem["code"]
            if (index, code) in seen:
                continue
            seen.add((index, code))
            value = values[index].strip() if values[index] is not None else None
            if code == "noscore":  # about the whole row, not one column
                errors.append({"row": record, "column": None, "value": None, "reason": reason(plan, index, code, None),
                               "record": as_json})  # fmt: skip
                continue
            errors.append({"row": record, "column": plan.headers[index], "value": value,
                           "reason": reason(plan, index, code, value), "record": as_json})  # fmt: skip
    errors.sort(key=lambda e: e["row"])
    return errors
