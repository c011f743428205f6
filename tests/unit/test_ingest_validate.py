"""Row checks: every rejected row is named with its column, value and reason, and nothing else changes."""

from __future__ import annotations

import duckdb
import pytest

from cx.ingest import ImportRefused, analyse, import_file, message, rejected_rows
from tests.unit.ingest_helpers import contents

NPS_QUESTION = "How likely are you to recommend Acme to a friend or colleague?"


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "cx.duckdb"
    import_file(b"Customer ID,Plan\nseed,Gold\n", file_name="seed.csv", db=path)
    return path


def query(db, sql, params=()):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def test_nps_of_11_rejects_that_row_naming_row_column_value_and_scale(db):
    data = f'Respondent,Date,"{NPS_QUESTION}"\nr1,2024-05-01,9\nr2,2024-05-02,11\nr3,2024-05-03,0\n'.encode()
    result = import_file(data, file_name="nps.csv", db=db)
    assert (result.rows, result.imported, result.rejected) == (3, 2, 1)
    assert message(result.errors[0]) == f'Row 2, column "{NPS_QUESTION}": "11" is outside the NPS scale 0–10'
    assert query(db, "SELECT response_id, score FROM responses ORDER BY 1") == [("r1", 9), ("r3", 0)]


def test_rejected_rows_are_stored_whole_for_download(db):
    result = import_file(
        f'Respondent,Date,"{NPS_QUESTION}"\nr1,2024-05-01,9\nr2,2024-05-02,11\n'.encode(), file_name="nps.csv", db=db
    )
    rejects = rejected_rows(result.import_id, db)
    assert list(rejects["row"]) == [2]
    assert '"r2"' in rejects["record"][0] and '"11"' in rejects["record"][0]


def test_csat_zero_is_no_answer_only_where_the_header_says_so(db):
    declared = b"Respondent,Date,Satisfaction (1-5; 0 = N/A)\nr1,2024-05-01,4\nr2,2024-05-01,0\nr3,2024-05-01,5\n"
    result = import_file(declared, file_name="declared.csv", db=db)
    # r2 answered nothing: no response to store, so the row is reported rather than stored.
    assert (result.imported, result.rejected) == (2, 1)
    assert result.errors[0]["reason"].startswith("answers none of the rating questions")
    assert result.errors[0]["column"] is None  # the whole row, not one column

    undeclared = b"Respondent,Date,Satisfaction (1-5)\nq1,2024-05-01,4\nq2,2024-05-01,0\n"
    result = import_file(undeclared, file_name="undeclared.csv", db=db)
    assert result.rejected == 1
    assert message(result.errors[0]).startswith('Row 2, column "Satisfaction (1-5)": "0" is outside the CSAT scale 1–5')


def test_unparseable_date_rejects_the_row_and_says_the_expected_format(db):
    data = b"Customer ID,Order date,Amount\nc1,2024-03-22,10\nc2,yesterday,12\nc3,2024-03-24,9\n"
    result = import_file(data, file_name="orders.csv", db=db)
    assert result.rejected == 1
    assert message(result.errors[0]).startswith(
        'Row 2, column "Order date": "yesterday" is not a date in this column\'s format (year-month-day'
    )


def test_ambiguous_dates_are_reported_and_settled_by_date_order(tmp_path):
    db = tmp_path / "cx.duckdb"
    data = b"Customer ID,Order date,Amount\nc1,03/04/2024,10\nc2,05/06/2024,12\n"
    plan = analyse(data, file_name="orders.csv")
    assert plan.ambiguous_dates == ["Order date"]
    with pytest.raises(
        ImportRefused, match=r'"Order date" of "orders.csv" fit both month/day/year and day/month/year.*--date-order'
    ):
        import_file(data, file_name="orders.csv", db=db)
    assert contents(db) == {}
    import_file(data, file_name="orders.csv", db=db, date_order="dmy")
    assert query(db, "SELECT strftime(occurred_at, '%Y-%m-%d') FROM interactions ORDER BY 1") == [
        ("2024-04-03",),
        ("2024-06-05",),
    ]


def test_a_day_above_12_settles_the_order_without_asking():
    plan = analyse(b"Customer ID,Order date,Amount\nc1,03/04/2024,10\nc2,03/25/2024,12\n", file_name="us.csv")
    assert plan.ambiguous_dates == [] and plan.date_formats == {"Order date": "month/day/year"}
    assert str(plan.preview["occurred_at"][0])[:10] == "2024-03-04"


def test_us_dates_with_am_pm_times_are_read():
    plan = analyse(
        b"Ticket ID,Created,Channel\n1,7/3/2025 2:22 PM,Chat\n2,11/13/2025 9:05 AM,Email\n", file_name="t.csv"
    )
    assert [str(t) for t in plan.preview["occurred_at"]] == ["2025-07-03 14:22:00", "2025-11-13 09:05:00"]


def test_duplicate_ids_within_the_file_and_against_the_database_are_counted_not_stored(db):
    first = import_file(b"Ticket ID,Created,Channel\n1,2024-01-01,Chat\n2,2024-01-02,Email\n", file_name="a.csv", db=db)
    assert (first.imported, first.duplicates) == (2, 0)
    second = import_file(
        b"Ticket ID,Created,Channel\n2,2024-01-02,Email\n3,2024-01-03,Phone\n3,2024-01-03,Phone\n",
        file_name="b.csv",
        db=db,
    )
    assert (second.rows, second.imported, second.duplicates, second.rejected) == (3, 1, 2, 0)
    assert query(db, "SELECT interaction_id, import_id FROM interactions ORDER BY 1") == [
        ("1", first.import_id), ("2", first.import_id), ("3", second.import_id)]  # fmt: skip


def test_strict_refuses_a_file_with_any_rejected_row_and_stores_nothing(db):
    before = contents(db)
    data = f'Respondent,Date,"{NPS_QUESTION}"\nr1,2024-05-01,9\nr2,2024-05-02,11\n'.encode()
    with pytest.raises(ImportRefused, match=r"--strict.*1 row.*Row 2") as refused:
        import_file(data, file_name="nps.csv", db=db, strict=True)
    assert refused.value.errors[0]["value"] == "11"
    assert contents(db) == before


def test_wrong_columns_for_the_declared_kind_are_refused(db):
    before = contents(db)
    with pytest.raises(ImportRefused, match='"x.csv" reads as a survey responses file, but no column holds a score'):
        import_file(b"Customer ID,Plan\nc1,Gold\n", file_name="x.csv", db=db, kind="responses")
    assert contents(db) == before


def test_a_long_survey_file_checks_each_score_against_the_scale_its_row_names(db):
    data = (b"Response ID,Date,Survey,Score\nr1,2024-05-01,NPS,9\nr2,2024-05-01,CSAT,5\n"
            b"r3,2024-05-02,CSAT,9\nr4,2024-05-02,Effort,7\nr5,2024-05-03,Mood,3\n")  # fmt: skip
    result = import_file(data, file_name="long.csv", db=db)
    assert [(e["row"], e["column"], e["reason"]) for e in result.errors] == [
        (3, "Score", "is outside the scale of the row's survey"),
        (5, "Survey", "does not name a survey we know (NPS, CSAT or CES)"),
    ]
    assert query(db, "SELECT response_id, survey, score FROM responses ORDER BY 1") == [
        ("r1", "nps", 9), ("r2", "csat", 5), ("r4", "ces", 7)]  # fmt: skip


def test_each_value_is_parsed_once_however_many_checks_use_it(monkeypatch):
    # A million-row import spends its time in these expressions: a date parsed for the value and again
    # for its check doubled the work. The checks refer to the parsed value by name instead.
    from cx.ingest import validate

    statements = []
    build = validate.build_checked

    def recording(con, plan):
        class Recorder:
            def execute(self, sql, *args):
                statements.append(sql)
                return con.execute(sql, *args)

        return build(Recorder(), plan)

    monkeypatch.setattr(validate, "build_checked", recording)
    plan = analyse(b"Ticket ID,Created,Amount\nt1,2024-05-01 10:00,12.50\nt2,oops,3\n", file_name="t.csv")
    assert [e["column"] for e in plan.errors] == ["Created"]
    checked = "\n".join(statements)
    assert checked.count("AS TIMESTAMP)") == 1 and checked.count("regexp_replace(v2, '[$€£¥") <= 3
