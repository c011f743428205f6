"""Measuring each staged column, and the SQL that reads a value as a number, a flag or nothing.

All of it runs in DuckDB over the whole staged file, so a value deep in a
million-row file (the one date with a day above 12, the one score of 11)
counts as much as the first rows.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from cx.ingest.dates import detect_date_format
from cx.ingest.mapping import ColumnProfile

# Codes that mean "nothing here" in exports: treated as an empty cell.
NULL_TOKENS = ("", "n/a", "na", "#n/a", "null", "none", "nan", "-", "--", "not applicable", "no answer", "(blank)")
TRUE_FLAGS = ("yes", "y", "true", "t", "1", "1.0", "churned", "exited", "cancelled", "canceled", "left")
FALSE_FLAGS = ("no", "n", "false", "f", "0", "0.0", "active", "stayed", "retained")


def _quoted(values: tuple[str, ...]) -> str:
    # Our own constants, never user values.
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def value_sql(column: str) -> str:
    """The trimmed text of a staged column, NULL for a blank or a no-answer code."""
    # list_contains rather than IN: DuckDB turns a long IN list into a join, one per column.
    return f"CASE WHEN list_contains([{_quoted(NULL_TOKENS)}], lower(trim({column}))) THEN NULL ELSE trim({column}) END"


def number_sql(value: str, decimal_comma: bool = False) -> str:
    """A DOUBLE from text like 12.5, 1,234.50, $12, or 12,50 when the column writes decimals with a comma."""
    bare = f"regexp_replace({value}, '[$€£¥\\s]', '', 'g')"
    if decimal_comma:
        return f"try_cast(replace(replace({bare}, '.', ''), ',', '.') AS DOUBLE)"
    return f"try_cast(CASE WHEN regexp_matches({bare}, '^-?\\d{{1,3}}(,\\d{{3}})+(\\.\\d+)?$') THEN replace({bare}, ',', '') ELSE {bare} END AS DOUBLE)"


def flag_sql(value: str) -> str:
    """TRUE / FALSE from yes/no, 1/0, true/false; NULL for anything else."""
    return (
        f"CASE WHEN list_contains([{_quoted(TRUE_FLAGS)}], lower({value})) THEN TRUE "
        f"WHEN list_contains([{_quoted(FALSE_FLAGS)}], lower({value})) THEN FALSE END"
    )


FLAG_LENGTH = max(map(len, TRUE_FLAGS + FALSE_FLAGS))


PROFILE_BATCH = 16  # columns measured per query: one query over hundreds of columns costs far more than its parts


def profile_columns(con: duckdb.DuckDBPyConnection, headers: list[str]) -> list[ColumnProfile]:
    # One scan per batch of columns: each value is cleaned (v) and read as a number (n) once, and the
    # cheap test before each AND spares most values the costlier one. Batches keep the work linear in
    # the number of columns (DuckDB plans one huge expression list in worse than linear time).
    row: list = []
    for first in range(0, len(headers), PROFILE_BATCH):
        row += _measure(con, range(first, min(first + PROFILE_BATCH, len(headers))))
    return _profiles(con, headers, row)


def _measure(con: duckdb.DuckDBPyConnection, columns: range) -> list:
    values = ", ".join(f"{value_sql(f'c{i}')} AS v{i}" for i in columns)
    numbers = ", ".join(f"{number_sql(f'v{i}')} AS n{i}" for i in columns)
    measures = ", ".join(
        f"""count(v{i}), approx_count_distinct(v{i}), count(n{i}), count(*) FILTER (WHERE n{i} = floor(n{i})),
            count(*) FILTER (WHERE length(v{i}) <= {FLAG_LENGTH} AND list_contains([{_quoted(TRUE_FLAGS + FALSE_FLAGS)}], lower(v{i}))),
            count(*) FILTER (WHERE starts_with(v{i}, '0') AND regexp_matches(v{i}, '^0\\d+$')), min(n{i}), max(n{i}),
            count(*) FILTER (WHERE contains(v{i}, ',') AND regexp_matches(v{i}, '^-?\\d+,\\d{{1,2}}$')),
            count(*) FILTER (WHERE contains(v{i}, '.') AND regexp_matches(v{i}, '\\d\\.\\d'))"""
        for i in columns
    )
    return list(
        con.execute(f"SELECT {measures} FROM (SELECT *, {numbers} FROM (SELECT {values} FROM staged))").fetchall()[0]
    )


def _profiles(con: duckdb.DuckDBPyConnection, headers: list[str], row: list) -> list[ColumnProfile]:
    profiles = []
    for index, header in enumerate(headers):
        measured = row[index * 10 : index * 10 + 10]
        filled, distinct, numeric, integer, flags, leading_zero, low, high, comma_decimals, dot_decimals = measured
        profile = ColumnProfile(index, header, filled, distinct, numeric, integer, flags, leading_zero, low, high)
        if comma_decimals and not dot_decimals:
            # "12,50" in a semicolon-separated file: decimals written with a comma.
            v = value_sql(f"c{index}")
            profile.numeric = con.execute(
                f"SELECT count({number_sql('v', True)}) FROM (SELECT {v} AS v FROM staged)"
            ).fetchall()[0][0]
            profile.decimal_comma = True
        if not profile.mostly(profile.numeric) or filled and (integer == filled and (low or 0) > 1e7):
            profile.date = detect_date_format(con, f"c{index}")
        profiles.append(profile)
    return profiles


def known_id_column(con: duckdb.DuckDBPyConnection, profiles: list[ColumnProfile], known: pa.Table,
                    least: int = 5, share: float = 0.8) -> tuple[int, float] | None:  # fmt: skip
    """(column index, share) of the column whose values are mostly customer ids `known` holds, if any.

    Only the candidates' values are compared, in DuckDB, as a semi-join: `known` has one
    VARCHAR column `customer_id`."""
    if known.num_rows == 0:
        return None
    con.register("known_ids", known)
    try:
        best = None
        for p in profiles:
            if p.filled < least:
                continue
            v = value_sql(f"c{p.index}")
            filled, matched = con.execute(
                f"""SELECT count(v), count(*) FILTER (WHERE v IN (SELECT customer_id FROM known_ids))
                    FROM (SELECT {v} AS v FROM staged)"""
            ).fetchall()[0]
            if matched >= least and matched >= share * filled and (best is None or matched / filled > best[1]):
                best = (p.index, matched / filled)
        return best
    finally:
        con.unregister("known_ids")
