"""Reading text as a number or as a blank: the quick looks that spare most text the full work never change a value."""

from __future__ import annotations

import itertools

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cx.ingest.detect import NULL_TOKENS, _quoted, number_sql, value_sql

# The reading before the quick look was added: every value through the regular expressions and the cast.
FULL_PARSE = (
    "try_cast(CASE WHEN regexp_matches(regexp_replace(v, '[$€£¥\\s]', '', 'g'), '^-?\\d{1,3}(,\\d{3})+(\\.\\d+)?$') "
    "THEN replace(regexp_replace(v, '[$€£¥\\s]', '', 'g'), ',', '') ELSE regexp_replace(v, '[$€£¥\\s]', '', 'g') END "
    "AS DOUBLE)"
)
FULL_PARSE_COMMA = "try_cast(replace(replace(regexp_replace(v, '[$€£¥\\s]', '', 'g'), '.', ''), ',', '.') AS DOUBLE)"
# The characters a number is written with, the ones the parse strips, and some it never accepts.
ALPHABET = list("0123456789+-.,eE$€£¥ :_xabAINFnfity/") + ["\t", "\n", "\x0b", "\x0c", "\r", "\u00a0", "\u212a"]


def disagreeing(values: list[str], quick_sql: str, full_sql: str) -> list[tuple]:
    """The values on which two SQL readings of the column `v` disagree (NaN equals NaN here, as in DuckDB)."""
    if not values:
        return []
    con = duckdb.connect()
    try:
        con.execute("CREATE TABLE t (v VARCHAR)")
        con.executemany("INSERT INTO t VALUES (?)", [[v] for v in values])
        return con.execute(
            f"""SELECT v, quick, slow FROM (SELECT v, {quick_sql} AS quick, {full_sql} AS slow FROM t)
                WHERE quick IS DISTINCT FROM slow"""
        ).fetchall()
    finally:
        con.close()


def differing(values: list[str], decimal_comma: bool = False) -> list[tuple[str, float | None, float | None]]:
    """The values the quick look and the full parse read differently."""
    return disagreeing(values, number_sql("v", decimal_comma), FULL_PARSE_COMMA if decimal_comma else FULL_PARSE)


@pytest.mark.parametrize("decimal_comma", [False, True])
def test_every_short_string_of_number_characters_reads_the_same_with_the_quick_look(decimal_comma):
    short = ["".join(chars) for n in (1, 2, 3) for chars in itertools.product(ALPHABET, repeat=n)]
    assert differing(short, decimal_comma) == []


def test_numbers_as_exports_write_them_read_the_same_with_the_quick_look():
    written = ["12", "-3.5", "1,234.50", "$12", "€ 1.234", "£-7", "1e3", "-2E-2", "inf", "-Infinity", "NaN", " 42 ",
               "\t7\n", "12:30", "2024-05-01", "C018076", "I0000001", "Web", "1,5", "1 000", "+5", ".5", "5.", "0x1A",
               "1_000", "١٢", "12%", "", "∞", "inFinity", "nan%", "-nan", "+inf", "Na£N", "I n f", "€inf"]  # fmt: skip
    assert differing(written) == []


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(ALPHABET), min_size=1, max_size=12), min_size=1, max_size=200))
def test_any_text_reads_the_same_with_the_quick_look(values):
    assert differing(values) == []


# The blank codes before the quick look: every value lowered and compared.
FULL_BLANK = f"CASE WHEN list_contains([{_quoted(NULL_TOKENS)}], lower(trim(v))) THEN NULL ELSE trim(v) END"


def differing_blanks(values: list[str]) -> list[tuple[str, str | None, str | None]]:
    return disagreeing(values, value_sql("v"), FULL_BLANK)


def test_every_blank_code_in_any_case_and_padding_reads_as_blank_with_the_quick_look():
    variants = [pad + form + pad for token in NULL_TOKENS for form in (token, token.upper(), token.title())
                for pad in ("", " ", "   ")]  # fmt: skip
    assert differing_blanks(variants + ["N/A", "Na", "nA", "n/a.", "\u212aNA", "İ", "x", "", "#", "(BLANK)"]) == []


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.text(alphabet=st.sampled_from(list(" n/a#-()ABLKNOTUlbkotue\u212a\u0130x")), max_size=16), max_size=200)
)
def test_any_text_reads_as_blank_or_not_the_same_with_the_quick_look(values):
    assert differing_blanks(values) == []
