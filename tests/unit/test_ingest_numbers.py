"""Reading text as a number: the quick look that spares most text the parse never changes a value."""

from __future__ import annotations

import itertools

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from cx.ingest.detect import number_sql

# The reading before the quick look was added: every value through the regular expressions and the cast.
FULL_PARSE = (
    "try_cast(CASE WHEN regexp_matches(regexp_replace(v, '[$€£¥\\s]', '', 'g'), '^-?\\d{1,3}(,\\d{3})+(\\.\\d+)?$') "
    "THEN replace(regexp_replace(v, '[$€£¥\\s]', '', 'g'), ',', '') ELSE regexp_replace(v, '[$€£¥\\s]', '', 'g') END "
    "AS DOUBLE)"
)
# The characters a number is written with, the ones the parse strips, and some it never accepts.
ALPHABET = list("0123456789+-.,eE$€£¥ :_xabINFnfity/") + ["\t", "\n", "\x0b", "\x0c", "\r", "\u00a0", "\u212a"]


def differing(values: list[str]) -> list[tuple[str, float | None, float | None]]:
    """The values the two readings tell apart (NaN equals NaN here, as in DuckDB)."""
    con = duckdb.connect()
    try:
        con.execute("CREATE TABLE t (v VARCHAR)")
        con.executemany("INSERT INTO t VALUES (?)", [[v] for v in values])
        return con.execute(
            f"""SELECT v, quick, full_parse FROM (SELECT v, {number_sql("v")} AS quick, {FULL_PARSE} AS full_parse FROM t)
                WHERE quick IS DISTINCT FROM full_parse"""
        ).fetchall()
    finally:
        con.close()


def test_every_short_string_of_number_characters_reads_the_same_with_the_quick_look():
    short = ["".join(chars) for n in (1, 2, 3) for chars in itertools.product(ALPHABET, repeat=n)]
    assert differing(short) == []


def test_numbers_as_exports_write_them_read_the_same_with_the_quick_look():
    written = ["12", "-3.5", "1,234.50", "$12", "€ 1.234", "£-7", "1e3", "-2E-2", "inf", "-Infinity", "NaN", " 42 ",
               "\t7\n", "12:30", "2024-05-01", "C018076", "I0000001", "Web", "1,5", "1 000", "+5", ".5", "5.", "0x1A",
               "1_000", "١٢", "12%", "", "∞", "inFinity", "nan%", "-nan", "+inf"]  # fmt: skip
    assert differing(written) == []


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(ALPHABET), min_size=1, max_size=12), min_size=1, max_size=200))
def test_any_text_reads_the_same_with_the_quick_look(values):
    assert differing(values) == []
