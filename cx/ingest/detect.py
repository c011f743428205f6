"""Measuring each staged column, and the SQL that reads a value as a number, a flag or nothing.

All of it runs in DuckDB over the whole staged file, so a value deep in a
million-row file (the one date with a day above 12, the one score of 11)
counts as much as the first rows.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from cx.ingest.dates import detect_date_format, header_allows_numbers
from cx.ingest.mapping import ColumnProfile

# Codes that mean "nothing here" in exports: treated as an empty cell.
NULL_TOKENS = ("", "n/a", "na", "#n/a", "null", "none", "nan", "-", "--", "not applicable", "no answer", "(blank)")
TRUE_FLAGS = ("yes", "y", "true", "t", "1", "1.0", "churned", "exited", "cancelled", "canceled", "left")
FALSE_FLAGS = ("no", "n", "false", "f", "0", "0.0", "active", "stayed", "retained")
# A value that names one of our surveys (a long-format file's "Survey" column), over the SQL value {v}.
SURVEY_NAMES_SQL = "regexp_matches(lower({v}), 'nps|promoter|csat|satisf|\\bces\\b|effort')"


def _quoted(values: tuple[str, ...]) -> str:
    # Our own constants, never user values.
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


# The first characters of the codes, either case (ascii('') is 0): no other character lowers to one of them.
_NULL_STARTS = ", ".join(str(c) for c in sorted({ord(t[0]) for t in NULL_TOKENS if t} | {ord(t[0].upper()) for t in NULL_TOKENS if t} | {0}))  # fmt: skip


def value_sql(column: str) -> str:
    """The trimmed text of a staged column, NULL for a blank or a no-answer code."""
    # list_contains rather than IN: DuckDB turns a long IN list into a join, one per column. Only text that
    # starts as a code does (empty, "#", "(", "-", n or N) is lowered and compared.
    return (
        f"CASE WHEN list_contains([{_NULL_STARTS}], ascii(trim({column}))) "
        f"AND list_contains([{_quoted(NULL_TOKENS)}], lower(trim({column}))) THEN NULL ELSE trim({column}) END"
    )


# The first characters a number can start with (after trimming): a digit, sign, point or comma, a currency
# sign or whitespace (both stripped). Or the i or n of "inf" or "nan", which a cast to DOUBLE reads: then
# the second character is their n or a, or one the parse strips ("Na£N").
_NUMBER_STARTS = (*range(ord("0"), ord("9") + 1), *map(ord, "+-.,$€£¥"), 9, 10, 11, 12, 13, 32)
_WORD_STARTS = tuple(map(ord, "iInN"))
_WORD_SECONDS = (*map(ord, "nNaA$€£¥"), 9, 10, 11, 12, 13, 32)


def number_sql(value: str, decimal_comma: bool = False) -> str:
    """A DOUBLE from text like 12.5, 1,234.50, $12, or 12,50 when the column writes decimals with a comma."""
    bare = f"regexp_replace({value}, '[$€£¥\\s]', '', 'g')"
    if decimal_comma:
        parsed = f"try_cast(replace(replace({bare}, '.', ''), ',', '.') AS DOUBLE)"
    else:  # a comma survives the stripping: looking for it in the value is the same, without the strip
        parsed = f"try_cast(CASE WHEN contains({value}, ',') AND regexp_matches({bare}, '^-?\\d{{1,3}}(,\\d{{3}})+(\\.\\d+)?$') THEN replace({bare}, ',', '') ELSE {bare} END AS DOUBLE)"
    # Most text is no number (ids like "C0181", names, channels, times like "12:30"): a cheap look at its
    # first characters and for a colon spares it the regular expressions and the cast, which cost most of
    # a file's profile. Every value that can be read as a number passes the look (tests/unit/test_ingest_numbers.py).
    starts, words, seconds = (", ".join(map(str, codes)) for codes in (_NUMBER_STARTS, _WORD_STARTS, _WORD_SECONDS))
    maybe = (
        f"(list_contains([{starts}], ascii({value})) OR list_contains([{words}], ascii({value})) "
        f"AND list_contains([{seconds}], ascii(substr({value}, 2, 1)))) AND NOT contains({value}, ':')"
    )
    return f"CASE WHEN {maybe} THEN {parsed} END"


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
    # count(CASE WHEN … THEN 1 END) rather than count(*) FILTER (WHERE …): the same count, but DuckDB copies
    # the rows each FILTER selects, which took a third of the profile.
    measures = ", ".join(
        f"""count(v{i}), approx_count_distinct(v{i}), count(n{i}), count(CASE WHEN n{i} = floor(n{i}) THEN 1 END),
            count(CASE WHEN length(v{i}) <= {FLAG_LENGTH} AND list_contains([{_quoted(TRUE_FLAGS + FALSE_FLAGS)}], lower(v{i})) THEN 1 END),
            count(CASE WHEN starts_with(v{i}, '0') AND regexp_matches(v{i}, '^0\\d+$') THEN 1 END),
            min(CASE WHEN isfinite(n{i}) THEN n{i} END), max(CASE WHEN isfinite(n{i}) THEN n{i} END),
            count(CASE WHEN contains(v{i}, ',') AND regexp_matches(v{i}, '^-?\\d+,\\d{{1,2}}$') THEN 1 END),
            count(CASE WHEN contains(v{i}, '.') AND regexp_matches(v{i}, '\\d\\.\\d') THEN 1 END),
            coalesce(avg(length(v{i})), 0)"""
        for i in columns
    )
    return list(
        con.execute(f"SELECT {measures} FROM (SELECT *, {numbers} FROM (SELECT {values} FROM staged))").fetchall()[0]
    )


def _profiles(con: duckdb.DuckDBPyConnection, headers: list[str], row: list) -> list[ColumnProfile]:
    width = 11  # measures per column, in _measure's order
    rows = con.execute("SELECT count(*) FROM staged").fetchall()[0][0]
    profiles = []
    for index, header in enumerate(headers):
        measured = row[index * width : index * width + width]
        filled, distinct, numeric, integer, flags, leading_zero, low, high, comma_decimals, dot_decimals, length = (
            measured
        )
        profile = ColumnProfile(index, header, filled, min(distinct, filled), numeric, integer, flags, leading_zero,
                                low, high, rows=rows, mean_length=float(length))  # fmt: skip
        if comma_decimals and not dot_decimals:
            # "12,50" in a semicolon-separated file: decimals written with a comma.
            v = value_sql(f"c{index}")
            profile.numeric = con.execute(
                f"SELECT count({number_sql('v', True)}) FROM (SELECT {v} AS v FROM staged)"
            ).fetchall()[0][0]
            profile.decimal_comma = True
        numbers_as_dates = header_allows_numbers(header) and profile.mostly(numeric)
        if (
            not profile.mostly(profile.numeric)
            or numbers_as_dates
            or (filled and integer == filled and (low or 0) > 1e7)
        ):
            profile.date = detect_date_format(con, f"c{index}", header=header)
        profiles.append(profile)
    _measure_ratings(con, profiles)
    _take_samples(con, profiles)
    return profiles


def _measure_ratings(con: duckdb.DuckDBPyConnection, profiles: list[ColumnProfile]) -> None:
    """The value histogram of every column of whole numbers 0-10: what a rating's scale is read from."""
    candidates = [
        p for p in profiles if p.whole_numbers and p.minimum is not None and p.minimum >= 0 and (p.maximum or 0) <= 10
    ]
    if not candidates:
        return
    union = " UNION ALL ".join(
        f"SELECT {p.index} AS col, CASE WHEN n BETWEEN -1 AND 10 THEN n::INTEGER END AS score "
        f"FROM (SELECT {number_sql(value_sql(f'c{p.index}'))} AS n FROM staged)"  # inf or 1e10 fits no INTEGER
        for p in candidates
    )
    by_index = {p.index: p for p in candidates}
    for col, score, count in con.execute(
        f"SELECT col, score, count(*) FROM ({union}) WHERE score IS NOT NULL GROUP BY ALL"
    ).fetchall():
        by_index[col].histogram[int(score)] = int(count)


def _take_samples(con: duckdb.DuckDBPyConnection, profiles: list[ColumnProfile], count: int = 3) -> None:
    """Three different raw values of each column, in the order the file has them, for the table and messages."""
    # The first rows are picked once, not once a column.
    con.execute("CREATE OR REPLACE TEMP TABLE first_rows AS SELECT * FROM staged ORDER BY _record LIMIT 2000")
    for p in profiles:
        v = value_sql(f"c{p.index}")
        p.samples = [
            value
            for (value,) in con.execute(
                f"""SELECT v FROM (SELECT {v} AS v, min(_record) AS first FROM first_rows GROUP BY 1)
                    WHERE v IS NOT NULL ORDER BY first LIMIT {count}"""
            ).fetchall()
        ]
    con.execute("DROP TABLE first_rows")


def distinct_rows(con: duckdb.DuckDBPyConnection, width: int) -> int:
    """Number of different rows, blanks included: below the row count when some rows are exact copies."""
    columns = ", ".join(f"c{i}" for i in range(width))
    return con.execute(f"SELECT count(*) FROM (SELECT DISTINCT {columns} FROM staged)").fetchall()[0][0]


def distinct_count(con: duckdb.DuckDBPyConnection, indexes: list[int]) -> int:
    """Exact number of distinct non-empty value combinations of the columns (a row's identity, the grain)."""
    values = ", ".join(value_sql(f"c{i}") for i in indexes)
    not_null = " AND ".join(f"{value_sql(f'c{i}')} IS NOT NULL" for i in indexes)
    return con.execute(f"SELECT count(DISTINCT ({values})) FROM staged WHERE {not_null}").fetchall()[0][0]


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
