"""Recognising the date format of a column from all of its values.

Each column gets one format family (ISO, compact YYYYMMDD, month-first,
day-first, month names). Month-first and day-first are told apart by a value
whose first or second part is above 12; when every value fits both orders the
column is *ambiguous* and the user settles it (`date_order`), never us.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

ORDERS = ("mdy", "dmy")
ORDER_LABELS = {
    "mdy": "month/day/year",
    "dmy": "day/month/year",
    "iso": "year-month-day",
    "ymd": "YYYYMMDD",
    "named": "day and month name",
}

_ISO = r"^\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$"
_COMPACT = r"^(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$"
_YMD_SLASH = r"^\d{4}[/.]\d{1,2}[/.]\d{1,2}( .*)?$"
_PARTS = r"^(\d{1,2})([/.-])(\d{1,2})[/.-](\d{4}|\d{2})( +\d{1,2}:\d{2}(:\d{2})?( *[AaPp][Mm])?)?$"
_NAMED = r"^(\d{1,2}[ -][A-Za-z]{3,9}\.?[ -]\d{4}|[A-Za-z]{3,9}\.? \d{1,2},? \d{4})$"

_TIMES = ("", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p", " %I:%M%p", " %I:%M:%S%p")
_NAMED_FORMATS = ("%d %b %Y", "%d-%b-%Y", "%d %B %Y", "%d-%B-%Y", "%b %d, %Y", "%B %d, %Y", "%b %d %Y", "%B %d %Y")


@dataclass
class DateFormat:
    """How one column's dates are written; `ambiguous` when month and day order cannot be told."""

    family: str  # iso | ymd | mdy | dmy | named | slash-ymd
    share: float  # share of the column's non-empty values that look like dates
    separator: str = "/"
    two_digit_year: bool = False
    ambiguous: bool = False
    example: str | None = None

    @property
    def label(self) -> str:
        return ORDER_LABELS.get(self.family, self.family)

    def formats(self) -> list[str]:
        if self.family == "ymd":
            return ["%Y%m%d"]
        if self.family == "named":
            return list(_NAMED_FORMATS)
        if self.family == "slash-ymd":
            return [f"%Y{s}%m{s}%d{t}" for s in "/." for t in _TIMES[:3]]
        year = "%y" if self.two_digit_year else "%Y"
        first, second = ("%m", "%d") if self.family == "mdy" else ("%d", "%m")
        return [f"{first}{self.separator}{second}{self.separator}{year}{t}" for t in _TIMES]

    def with_order(self, order: str) -> DateFormat:
        return DateFormat(order, self.share, self.separator, self.two_digit_year, False, self.example)

    def parse_sql(self, value_sql: str) -> str:
        """SQL turning the text expression into a TIMESTAMP, NULL when it does not fit this format."""
        if self.family == "iso":
            return f"try_cast(regexp_replace({value_sql}, '(Z|[+-]\\d{{2}}:?\\d{{2}})$', '') AS TIMESTAMP)"
        formats = ", ".join("'" + f + "'" for f in self.formats())
        return f"try_strptime({value_sql}, [{formats}])"


def detect_date_format(con: duckdb.DuckDBPyConnection, column: str, table: str = "staged") -> DateFormat | None:
    """The date format of `column` (our own staging name), or None if it does not hold dates."""
    v = f"trim({column})"
    # A cheap look at the first values first: most columns (ids, channels) hold no dates at all.
    sample = f"(SELECT {column} FROM {table} WHERE {column} IS NOT NULL AND trim({column}) <> '' LIMIT 1000)"
    looks_dated = con.execute(
        f"""SELECT count(*) FILTER (WHERE regexp_matches({v}, '{_ISO}') OR regexp_matches({v}, '{_COMPACT}')
                   OR regexp_matches({v}, '{_YMD_SLASH}') OR regexp_matches({v}, '{_PARTS}') OR regexp_matches({v}, '{_NAMED}'))
            FROM {sample}"""
    ).fetchall()[0][0]
    if not looks_dated:
        return None
    filled, iso, compact, slash_ymd, parts, named, example = con.execute(
        f"""SELECT count({column}) FILTER (WHERE {v} <> ''),
                   count(*) FILTER (WHERE regexp_matches({v}, '{_ISO}')),
                   count(*) FILTER (WHERE regexp_matches({v}, '{_COMPACT}')),
                   count(*) FILTER (WHERE regexp_matches({v}, '{_YMD_SLASH}')),
                   count(*) FILTER (WHERE regexp_matches({v}, '{_PARTS}')),
                   count(*) FILTER (WHERE regexp_matches({v}, '{_NAMED}')),
                   any_value({v}) FILTER (WHERE {v} <> '')
            FROM {table}"""
    ).fetchall()[0]
    if not filled:
        return None
    counts = {"iso": iso, "ymd": compact, "slash-ymd": slash_ymd, "parts": parts, "named": named}
    family = max(counts, key=counts.get)
    share = counts[family] / filled
    if share < 0.5:  # a column named as a date may have bad values; they are rejected one by one
        return None
    if family != "parts":
        return DateFormat(family, share, example=example)
    # Only 1/2/2024-style dates need the order told: which part goes above 12, and the separator.
    part = f"regexp_extract({v}, '{_PARTS}', ['first', 'sep', 'second', 'year'])"
    max_first, max_second, first_big, second_big, sep, short_year = con.execute(
        f"""SELECT max(try_cast(p.first AS INTEGER)), max(try_cast(p.second AS INTEGER)),
                   count(*) FILTER (WHERE try_cast(p.first AS INTEGER) > 12),
                   count(*) FILTER (WHERE try_cast(p.second AS INTEGER) > 12),
                   any_value(p.sep) FILTER (WHERE p.sep <> ''),
                   count(*) FILTER (WHERE length(p.year) = 2)
            FROM (SELECT {part} AS p FROM {table}) WHERE p.first <> ''"""
    ).fetchall()[0]
    if (max_first or 0) <= 12 and (max_second or 0) <= 12:
        return DateFormat("mdy", share, sep or "/", short_year > parts / 2, ambiguous=True, example=example)
    order = "mdy" if second_big >= first_big else "dmy"
    return DateFormat(order, share, sep or "/", short_year > parts / 2, example=example)
