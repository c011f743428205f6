"""Recognising the date format of a column from all of its values.

Each column gets one format family: ISO 8601 (offsets honoured, stored as UTC),
compact YYYYMMDD, month-first, day-first, month names (`31-Jul-18`), e-mail and
social-media timestamps (`Wed Oct 11 06:55:44 +0000 2017`), and, where the header
says the column is a date, Unix time in seconds or milliseconds and Excel serial
day numbers. Month-first and day-first are told apart by a value whose first or
second part is above 12; when every value fits both orders the column is
*ambiguous* and the user settles it (`date_order`), never us. Values that look
like version numbers (`5.1.57`) are never dates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import duckdb

ORDERS = ("mdy", "dmy")
ORDER_LABELS = {
    "mdy": "month/day/year",
    "dmy": "day/month/year",
    "iso": "year-month-day (ISO 8601)",
    "ymd": "YYYYMMDD",
    "slash-ymd": "year/month/day",
    "named": "day, month name and year",
    "rfc2822": "e-mail or social-media timestamps",
    "epoch_s": "seconds since 1970 (Unix time)",
    "epoch_ms": "milliseconds since 1970 (Unix time)",
    "excel": "Excel serial day numbers",
}
# What a failing column's message lists as tried, in the words above.
TRIED = ("iso", "ymd", "slash-ymd", "mdy", "dmy", "named", "rfc2822", "epoch_s", "epoch_ms", "excel")

_OFFSET = r"(Z|[+-]\d{2}:?\d{2})$"
_ISO = r"^\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)? ?(Z|[+-]\d{2}:?\d{2})?$"
_COMPACT = r"^(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$"
_YMD_SLASH = r"^\d{4}[/.]\d{1,2}[/.]\d{1,2}( .*)?$"
_PARTS = r"^(\d{1,2})([/.-])(\d{1,2})[/.-](\d{4}|\d{2})( +\d{1,2}:\d{2}(:\d{2})?( *[AaPp][Mm])?)?$"
_NAMED = r"^(\d{1,2}[ -][A-Za-z]{3,9}\.?[ -](\d{4}|\d{2})|[A-Za-z]{3,9}\.? \d{1,2},? \d{4})$"
_RFC = r"^([A-Za-z]{3},? )?(\d{1,2} [A-Za-z]{3} \d{4}|[A-Za-z]{3} \d{1,2}) \d{2}:\d{2}(:\d{2})? ?([+-]\d{4}|GMT|UTC|Z)?( \d{4})?$"
_VERSION = r"^v?\d+\.\d+\.\d+(\.\d+)*$"
_DOTTED_DATE = r"^\d{1,2}\.\d{1,2}\.(19|20)\d{2}$|^\d{2}\.\d{2}\.\d{2}$"
_NUMBER = r"^-?\d+(\.\d+)?$"
# Only a header that says "date" or "time" lets a plain number be read as one.
_DATE_HEADER = re.compile(
    r"date|time|timestamp|\bat$|\bon$|created|updated|modified|opened|closed|submitted|datum|fecha|data\b|zeit|horod",
    re.I,
)
_NOT_A_DATE_HEADER = re.compile(r"version|\bver\b|build|release|\bv\d|\bid\b|number|code|zip|postal", re.I)

_TIMES = ("", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p", " %I:%M%p", " %I:%M:%S%p")
_NAMED_FORMATS = ("%d %b %Y", "%d-%b-%Y", "%d %B %Y", "%d-%B-%Y", "%b %d, %Y", "%B %d, %Y", "%b %d %Y", "%B %d %Y",
                  "%d-%b-%y", "%d %b %y", "%d-%B-%y", "%d %B %y")  # fmt: skip
_RFC_ZONED = ("%a %b %d %H:%M:%S %z %Y", "%a, %d %b %Y %H:%M:%S %z", "%d %b %Y %H:%M:%S %z", "%a, %d %b %Y %H:%M %z")
_RFC_PLAIN = ("%a, %d %b %Y %H:%M:%S GMT", "%a, %d %b %Y %H:%M:%S UTC", "%a, %d %b %Y %H:%M:%S", "%a %b %d %H:%M:%S %Y",
              "%d %b %Y %H:%M:%S", "%a, %d %b %Y %H:%M:%S Z")  # fmt: skip
# Plausible ranges for numbers read as dates (1973-2100 for Unix time, 1954-2119 for Excel serials).
_EPOCH_S = (1e8, 4.2e9)
_EPOCH_MS = (1e11, 4.2e12)
_EXCEL = (20000, 80000)


@dataclass
class DateFormat:
    """How one column's dates are written; `ambiguous` when month and day order cannot be told."""

    family: str  # iso | ymd | slash-ymd | mdy | dmy | named | rfc2822 | epoch_s | epoch_ms | excel
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
        if self.family == "named":  # "31-Jul-18" is 2018, never the year 18
            return [f for f in _NAMED_FORMATS if f.endswith("%y") == self.two_digit_year]
        if self.family == "slash-ymd":
            return [f"%Y{s}%m{s}%d{t}" for s in "/." for t in _TIMES[:3]]
        year = "%y" if self.two_digit_year else "%Y"
        first, second = ("%m", "%d") if self.family == "mdy" else ("%d", "%m")
        return [f"{first}{self.separator}{second}{self.separator}{year}{t}" for t in _TIMES]

    def with_order(self, order: str) -> DateFormat:
        return replace(self, family=order, ambiguous=False)

    def reading(self, value: str, order: str) -> str | None:
        """How `value` reads in one order, in words (`3 April 2024`), for the page that asks."""
        match = re.match(_PARTS, value.strip())
        if not match:
            return None
        first, _, second, year = match.group(1, 2, 3, 4)
        day, month = (int(second), int(first)) if order == "mdy" else (int(first), int(second))
        if not 1 <= month <= 12:
            return None
        months = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                  "October", "November", "December")  # fmt: skip
        full_year = int(year) + (2000 if len(year) == 2 and int(year) < 70 else 1900 if len(year) == 2 else 0)
        return f"{day} {months[month - 1]} {full_year}"

    def parse_sql(self, value_sql: str) -> str:
        """SQL turning the text expression into a TIMESTAMP (UTC where an offset is given), NULL if it does not fit."""
        v = value_sql
        if self.family == "iso":
            # An offset ends the value: Z, or a sign within its last six characters (a cheap look first).
            offset = f"(ends_with({v}, 'Z') OR contains(right({v}, 6), '+') OR contains(right({v}, 6), '-'))"
            return (
                f"CASE WHEN {offset} AND regexp_matches({v}, '{_OFFSET}') THEN timezone('UTC', try_cast({v} AS TIMESTAMPTZ)) "
                f"ELSE try_cast({v} AS TIMESTAMP) END"
            )
        if self.family == "rfc2822":
            zoned = ", ".join(f"'{f}'" for f in _RFC_ZONED)
            plain = ", ".join(f"'{f}'" for f in _RFC_PLAIN)
            return f"coalesce(timezone('UTC', try_strptime({v}, [{zoned}])), try_strptime({v}, [{plain}]))"
        if self.family in ("epoch_s", "epoch_ms", "excel"):
            n = f"try_cast({v} AS DOUBLE)"
            low, high = {"epoch_s": _EPOCH_S, "epoch_ms": _EPOCH_MS, "excel": _EXCEL}[self.family]
            micros = {"epoch_s": f"{n} * 1e6", "epoch_ms": f"{n} * 1e3", "excel": f"({n} - 25569) * 86400e6"}
            return (
                f"CASE WHEN {n} BETWEEN {low} AND {high} THEN make_timestamp(round({micros[self.family]})::BIGINT) END"
            )
        formats = ", ".join("'" + f + "'" for f in self.formats())
        return f"try_strptime({v}, [{formats}])"


def header_allows_numbers(header: str) -> bool:
    """Whether a header says its numbers are dates (`created_at`, `Timestamp`), not ids or versions."""
    return bool(_DATE_HEADER.search(header)) and not _NOT_A_DATE_HEADER.search(header)


def detect_date_format(
    con: duckdb.DuckDBPyConnection, column: str, table: str = "staged", header: str = ""
) -> DateFormat | None:
    """The date format of `column` (our own staging name), or None if it does not hold dates."""
    if _NOT_A_DATE_HEADER.search(header) and not _DATE_HEADER.search(header):
        return None  # "App Version", "Build": never dates, whatever their values look like
    v = f"trim({column})"
    textual = f"regexp_matches({v}, '{_ISO}') OR regexp_matches({v}, '{_COMPACT}') OR regexp_matches({v}, '{_YMD_SLASH}') OR regexp_matches({v}, '{_PARTS}') OR regexp_matches({v}, '{_NAMED}') OR regexp_matches({v}, '{_RFC}')"
    numeric = header_allows_numbers(header)
    # A cheap look at the first values first: most columns (ids, channels) hold no dates at all.
    sample = f"(SELECT {column} FROM {table} WHERE {column} IS NOT NULL AND trim({column}) <> '' LIMIT 1000)"
    looks = f"({textual})" + (f" OR regexp_matches({v}, '{_NUMBER}')" if numeric else "")
    if not con.execute(f"SELECT count(*) FILTER (WHERE {looks}) FROM {sample}").fetchall()[0][0]:
        return None
    n = f"try_cast({v} AS DOUBLE)"

    def counted(condition: str) -> str:  # as count(*) FILTER (WHERE …), without copying the rows it selects
        return f"count(CASE WHEN {condition} THEN 1 END)"

    def has(character: str) -> str:  # a character each pattern needs: a cheap look before its regular expression
        return f"contains({v}, '{character}')"

    # Numbers count as dates only where the header allows them: otherwise they need no cast.
    numbers = [
        counted(f"{n} BETWEEN {low} AND {high}") if numeric else "0" for low, high in (_EPOCH_S, _EPOCH_MS, _EXCEL)
    ]
    filled, iso, compact, slash_ymd, parts, named, rfc, versions, s, ms, excel, example = con.execute(
        f"""SELECT count({column}) FILTER (WHERE {v} <> ''),
                   {counted(f"{has('-')} AND regexp_matches({v}, '{_ISO}')")},
                   {counted(f"strlen({v}) = 8 AND regexp_matches({v}, '{_COMPACT}')")},
                   {counted(f"({has('/')} OR {has('.')}) AND regexp_matches({v}, '{_YMD_SLASH}')")},
                   {counted(f"({has('/')} OR {has('.')} OR {has('-')}) AND regexp_matches({v}, '{_PARTS}')")},
                   {counted(f"({has(' ')} OR {has('-')}) AND regexp_matches({v}, '{_NAMED}')")},
                   {counted(f"{has(':')} AND regexp_matches({v}, '{_RFC}')")},
                   {counted(f"{has('.')} AND regexp_matches({v}, '{_VERSION}') AND NOT regexp_matches({v}, '{_DOTTED_DATE}')")},
                   {", ".join(numbers)},
                   any_value({v}) FILTER (WHERE {v} <> '')
            FROM {table}"""
    ).fetchall()[0]
    if not filled or versions >= 0.2 * filled:
        return None  # "5.1.57", "2.10": version numbers, even where one would parse as a date
    counts = {"iso": iso, "ymd": compact, "slash-ymd": slash_ymd, "parts": parts, "named": named, "rfc2822": rfc}
    if numeric:
        counts |= {"epoch_s": s, "epoch_ms": ms, "excel": excel}
    family = max(counts, key=counts.get)
    share = counts[family] / filled
    if share < 0.5:  # a column named as a date may have bad values; they are rejected one by one
        return None
    if family == "named":
        short = con.execute(
            f"SELECT count(*) FILTER (WHERE regexp_matches({v}, '[ -]\\d{{2}}$')) FROM {table}"
        ).fetchall()[0][0]
        return DateFormat(family, share, two_digit_year=short > named / 2, example=example)
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
    two_digit = short_year > parts / 2
    if sep == "." and two_digit:
        # 5.1.57 is a version; 05.01.57 a date. Dotted dates with a two-digit year are written padded.
        unpadded = con.execute(
            f"SELECT count(*) FILTER (WHERE regexp_matches({v}, '^\\d\\.|\\.\\d\\.')) FROM {table}"
        ).fetchall()[0][0]
        if unpadded:
            return None
    if (max_first or 0) <= 12 and (max_second or 0) <= 12:
        return DateFormat("mdy", share, sep or "/", two_digit, ambiguous=True, example=example)
    order = "mdy" if second_big >= first_big else "dmy"
    return DateFormat(order, share, sep or "/", two_digit, example=example)
