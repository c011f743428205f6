"""Numbers and dates in range at import: an implausible value is a rejected row with its reason, never a
failed file, a silent NULL or a dropped column."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from cx.ingest import ImportRefused, analyse, import_file


def query(db, sql):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def reasons(result) -> dict[int, str]:
    """Row -> its reasons, joined."""
    found: dict[int, str] = {}
    for error in result.errors:
        found[error["row"]] = "; ".join(filter(None, [found.get(error["row"]), error["reason"]]))
    return found


@pytest.mark.parametrize("score", ["inf", "1e10", "1e400", "-inf", "99999999999999999999"])
def test_a_score_that_fits_no_scale_is_rejected_and_the_rest_imports(db_file, score):
    survey = f"Respondent,Date,NPS\nr1,2026-03-01,9\nr2,2026-03-02,{score}\nr3,2026-03-03,3\n".encode()
    result = import_file(survey, file_name="nps.csv", db=db_file)
    assert (result.imported, result.rejected) == (2, 1)
    assert "finite" in reasons(result)[2] or "outside the NPS scale" in reasons(result)[2]
    assert query(db_file, "SELECT score FROM responses ORDER BY score") == [(3,), (9,)]


def test_dates_before_1900_or_far_ahead_are_rejected_with_the_plausible_window(db_file):
    survey = b"Respondent,Date,NPS\nr1,2026-03-01,9\nr2,1200-05-01,7\nr3,9999-12-31,3\n"
    result = import_file(survey, file_name="nps.csv", db=db_file)
    assert (result.imported, result.rejected) == (1, 2)
    assert reasons(result)[2].startswith("is outside the plausible dates 1900-01-01 to ")
    assert set(reasons(result)) == {2, 3}


def test_the_analysis_counts_the_rows_with_implausible_dates_so_the_page_can_offer_the_choice():
    plan = analyse(b"Respondent,Date,NPS\nr1,2026-03-01,9\nr2,1200-05-01,7\n", file_name="nps.csv")
    assert plan.implausible_dates == 1


def test_a_user_who_accepts_any_date_gets_them_stored(db_file):
    survey = b"Respondent,Date,NPS\nr1,2026-03-01,9\nr2,1850-05-01,7\n"
    result = import_file(survey, file_name="nps.csv", db=db_file, any_date=True)
    assert (result.imported, result.rejected) == (2, 0)
    assert query(db_file, "SELECT min(responded_at)::DATE FROM responses") == [(date(1850, 5, 1),)]


def test_a_negative_response_time_is_a_rejected_row_not_a_silent_blank(db_file):
    tickets = b"Ticket,Opened,First response (minutes)\nt1,2026-03-01,5\nt2,2026-03-02,-3\nt3,2026-03-03,7\n"
    result = import_file(tickets, file_name="tickets.csv", db=db_file)
    assert (result.imported, result.rejected) == (2, 1)
    assert reasons(result)[2] == "is negative, and a duration cannot be"
    assert query(db_file, "SELECT response_time_s FROM interactions ORDER BY 1") == [(300.0,), (420.0,)]


def test_a_resolution_before_the_ticket_was_opened_is_imported_without_its_duration_and_said(db_file):
    # The request happened; only its closing time is wrong (12 of LA 311's 9,999 requests): keep the row, so
    # that counts and shares stay whole, and say which rows have no duration.
    tickets = b"Ticket,Created at,Resolution time\nt1,2026-03-01 10:00,2026-03-01 12:00\nt2,2026-03-02 10:00,2026-03-01 09:00\n"
    result = import_file(tickets, file_name="tickets.csv", db=db_file)
    assert (result.imported, result.rejected) == (2, 0)
    assert query(db_file, "SELECT interaction_id, resolution_time_s FROM interactions ORDER BY 1") == [
        ("t1", 7200.0), ("t2", None)]  # fmt: skip
    assert (
        'Rows with "Resolution time" earlier than "Created at" are imported without that duration, which cannot be measured: 1 (first: row 2).'
        in result.notes
    )


def test_a_duration_column_with_some_bad_values_is_kept_and_only_those_rows_are_rejected(db_file):
    rows = [f"t{i},2026-03-{1 + i % 28:02d},{'slow' if i % 10 == 0 else i}" for i in range(100)]
    tickets = ("Ticket,Opened,Response time (s)\n" + "\n".join(rows) + "\n").encode()
    plan = analyse(tickets, file_name="tickets.csv")
    assert plan.mapping.get("Response time (s)") == "response_time_s"  # not dropped for its 10 bad values
    assert plan.errors  # and the page will not say that every row passed
    result = import_file(tickets, file_name="tickets.csv", db=db_file)
    assert (result.imported, result.rejected) == (90, 10)
    assert query(db_file, "SELECT count(response_time_s) FROM interactions") == [(90,)]
    assert set(reasons(result).values()) == {"is not a number"}


def test_revenue_must_be_a_finite_amount_and_a_refund_is_stored_as_given(db_file):
    orders = (
        b"Customer,Order date,Amount\nc1,2026-03-01,10.50\nc1,2026-03-02,-4.00\nc2,2026-03-03,inf\nc3,2026-03-04,1e15\n"
    )
    result = import_file(orders, file_name="orders.csv", db=db_file)
    assert (result.imported, result.rejected) == (2, 2)
    assert all("not a plausible amount" in reason for reason in reasons(result).values())
    assert query(db_file, "SELECT revenue FROM interactions ORDER BY 1") == [(-4.0,), (10.5,)]


def test_a_file_whose_every_score_is_infinite_is_refused_in_plain_words(db_file):
    with pytest.raises(ImportRefused, match="None of the 2 rows"):
        import_file(b"Respondent,Date,NPS\nr1,2026-03-01,inf\nr2,2026-03-02,1e10\n", file_name="nps.csv", db=db_file)
