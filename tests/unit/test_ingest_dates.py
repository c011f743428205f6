"""Each date format is recognised from a column's values (the cheap looks before each pattern keep every match)."""

from __future__ import annotations

import duckdb
import pytest

from cx.ingest.dates import detect_date_format


@pytest.mark.parametrize(
    ("header", "values", "family"),
    [
        ("Date", ["2024-05-01 10:00", "2024-05-02T11:30:00Z", "2024-06-30"], "iso"),
        ("Date", ["20240501", "20240502", "20240630"], "ymd"),
        ("Date", ["2024/05/01", "2024/05/02 10:00", "2024/06/30"], "slash-ymd"),
        ("Date", ["31/05/2024", "01/06/2024", "15/06/2024"], "dmy"),
        ("Date", ["05-31-2024", "06-01-2024", "06-15-2024"], "mdy"),
        ("Date", ["31-Jul-18", "16-May-18", "1 Jan 2019"], "named"),
        ("Date", ["Wed Oct 11 06:55:44 +0000 2017", "Thu Oct 12 07:00:00 +0000 2017", "Fri Oct 13 08:00:00 +0000 2017"], "rfc2822"),
        ("created_at", ["1714557600", "1714644000", "1714730400"], "epoch_s"),
    ],
)  # fmt: skip
def test_a_column_of_dates_is_read_in_its_own_format(header, values, family):
    con = duckdb.connect()
    con.execute("CREATE TABLE staged (c0 VARCHAR)")
    con.executemany("INSERT INTO staged VALUES (?)", [[v] for v in values])
    found = detect_date_format(con, "c0", header=header)
    assert found is not None and found.family == family and found.share == 1.0


def test_version_numbers_are_never_dates():
    con = duckdb.connect()
    con.execute("CREATE TABLE staged (c0 VARCHAR)")
    con.executemany("INSERT INTO staged VALUES (?)", [["5.1.57"], ["5.2.10"], ["12.05.2024"]])
    assert detect_date_format(con, "c0", header="Release") is None
