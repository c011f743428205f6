"""The exports that went wrong, in miniature: each case a tiny file built here, each test the behaviour it guards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from cx.analysis import metrics
from cx.analysis.filters import Filters
from cx.cli.metrics import default_range
from cx.ingest import ImportRefused, analyse, import_file
from cx.ingest.saved import save_mapping
from cx.store import db as store
from tests.unit.ingest_helpers import contents

ROOT = Path(__file__).resolve().parents[2]


def query(path: Path, sql: str, params=()):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params).fetchall()


def figure(path: Path, key: str, **where: list[str]) -> metrics.Summary:
    """The dashboard's figure over the whole span of the data."""
    with store.reading(path) as backend:
        start, end = default_range(backend)
        return metrics.summary(backend, key, Filters.build(start, end, **where), compare_previous=False)


def cx(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cx", *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=os.environ | {"CX_DB_BUSY_TIMEOUT": "10"})  # fmt: skip


# --- a review export whose score column has no header we know ----------------------------------

REVIEWS = (
    "id_avaliacao,nota,qtd_satisfeitos,titulo_comentario,mensagem_comentario,data_avaliacao\n"
    + "".join(
        f"a{n},{score},{n % 3},,{'Bom produto' if score >= 4 else 'Demorou muito'} {n},2024-03-{n % 28 + 1:02d}\n"
        for n, score in enumerate([5, 4, 5, 1, 3, 4, 5, 2, 5, 4] * 4)
    )
).encode()


def test_a_review_score_with_a_portuguese_header_is_csat_and_the_count_beside_it_is_not(tmp_path):
    plan = analyse(REVIEWS, file_name="avaliacoes.csv")
    assert plan.mapping["nota"] == "csat_score"
    assert "qtd_satisfeitos" not in plan.mapping  # a count (0, 1, 2…) named "satisf…": never a score
    assert plan.mapping["mensagem_comentario"] == "comment"  # the filled message, not the empty title
    assert "titulo_comentario" not in plan.mapping
    result = import_file(REVIEWS, file_name="avaliacoes.csv", db=tmp_path / "cx.duckdb")
    csat = figure(tmp_path / "cx.duckdb", "csat")
    # 4-5 of 5: 7 of every 10 reviews.
    assert (result.imported, csat.current.n, csat.current.value) == (40, 40, pytest.approx(70.0))


# --- the user's mapping is law -------------------------------------------------------------------

OLIST = (
    b"review_id,order_id,review_score,review_creation_date,review_answer_timestamp\n"
    b"r1,o1,5,2018-01-18 00:00:00,2018-01-21 13:59:02\nr2,o2,4,2018-03-10 00:00:00,2018-03-11 03:05:13\n"
)


def test_a_date_the_user_chose_is_never_replaced_and_what_it_displaced_is_said(tmp_path):
    guessed = analyse(OLIST, file_name="reviews.csv")
    assert guessed.mapping["review_answer_timestamp"] == "responded_at"
    chosen = analyse(OLIST, file_name="reviews.csv", mapping={"review_creation_date": "responded_at"})
    assert chosen.mapping["review_creation_date"] == "responded_at"
    assert list(chosen.mapping.values()).count("responded_at") == 1
    assert any(
        n.code == "displaced" and n.column == "review_answer_timestamp" and "you chose" in n for n in chosen.notes
    )
    import_file(
        OLIST, file_name="reviews.csv", db=tmp_path / "cx.duckdb", mapping={"review_creation_date": "responded_at"}
    )
    assert query(tmp_path / "cx.duckdb", "SELECT strftime(responded_at, '%Y-%m-%d') FROM responses ORDER BY 1") == [
        ("2018-01-18",), ("2018-03-10",)]  # fmt: skip


def test_mapping_a_tickets_first_response_column_as_its_date_takes_it_and_frees_the_purchase_date():
    data = (
        b"Ticket ID,Date of Purchase,First Response Time,Ticket Status,Customer Satisfaction Rating\n"
        b"1,2021-03-22,2023-06-01 12:15:36,Closed,4\n2,2021-01-05,2023-06-01 16:45:38,Closed,2\n"
    )
    plan = analyse(data, file_name="tickets.csv", mapping={"First Response Time": "occurred_at"})
    assert plan.mapping["First Response Time"] == "occurred_at"
    assert plan.mapping.get("Date of Purchase") != "occurred_at"
    assert any(n.code == "displaced" and n.column == "Date of Purchase" for n in plan.notes)
    assert str(plan.preview["occurred_at"][0]) == "2023-06-01 12:15:36"


def test_two_columns_mapped_to_one_field_are_refused_naming_both():
    plan = analyse(
        b"a,b,NPS\n2024-01-01,2024-01-02,9\n", file_name="x.csv", mapping={"a": "responded_at", "b": "responded_at"}
    )
    assert plan.problems.startswith('Both "a" and "b" are mapped to responded_at, which takes one column')
    with pytest.raises(ImportRefused, match='Both "a" and "b"'):
        import_file(
            b"a,b,NPS\n2024-01-01,2024-01-02,9\n", file_name="x.csv", mapping={"a": "responded_at", "b": "responded_at"}
        )


# --- plain surveys -------------------------------------------------------------------------------


def test_a_plain_0_to_10_survey_question_beside_a_timestamp_is_nps():
    rows = "".join(f"2024-05-{n % 28 + 1:02d} 10:00:00,{n % 11}\n" for n in range(44))
    plan = analyse(f'Timestamp,"On a scale of 0-10, how would you rate Acme?"\n{rows}'.encode(), file_name="form.csv")
    assert plan.kind == "responses"
    assert plan.mapping["On a scale of 0-10, how would you rate Acme?"] == "nps_score"
    choice = next(c for c in plan.columns if c.field == "nps_score")
    assert choice.reason.startswith('NPS 0–10 from the header ("On a scale of 0-10')
    assert plan.mapping["Timestamp"] == "responded_at"


def test_a_1_to_10_recommend_question_is_nps_with_1_to_6_as_detractors(tmp_path):
    answers = [1, 6, 7, 8, 9, 10, 10, 10]  # 2 detractors, 2 passives, 4 promoters: NPS 25
    data = "Date,How likely are you to recommend us?\n" + "".join(
        f"2024-05-0{i + 1},{a}\n" for i, a in enumerate(answers)
    )
    import_file(data.encode(), file_name="form.csv", db=tmp_path / "cx.duckdb")
    nps = figure(tmp_path / "cx.duckdb", "nps")
    assert (nps.current.n, nps.current.value) == (8, pytest.approx(25.0))


@pytest.mark.parametrize(("answers", "nps"), [([0, 7], True), ([0, 3, 5], False), ([1, 4, 7], False)])
def test_a_recommend_question_answered_from_0_up_to_7_is_nps_but_a_short_scale_is_not(answers, nps):
    # A bad month (nobody at 8-10) is still NPS; 0-5 and 1-7 are other scales, left for the user to choose.
    rows = "".join(f"2024-05-{n % 28 + 1:02d},{answers[n % len(answers)]}\n" for n in range(40))
    plan = analyse(f"Submitted,How likely are you to recommend us?\n{rows}".encode(), file_name="form.csv")
    assert (plan.mapping.get("How likely are you to recommend us?") == "nps_score") is nps


def test_another_1_to_10_rating_is_kept_on_its_own_10_point_scale(tmp_path):
    scores = [1, 4, 7, 8, 10, 10, 9, 3] * 3
    data = "Date,Rate the hotel (1-10)\n" + "".join(f"2024-05-0{i % 9 + 1},{s}\n" for i, s in enumerate(scores))
    result = import_file(data.encode(), file_name="hotel.csv", db=tmp_path / "cx.duckdb")
    assert result.mapping == {"Date": "responded_at", "Rate the hotel (1-10)": "rating10_score"}
    assert query(tmp_path / "cx.duckdb", "SELECT DISTINCT survey, question FROM responses") == [
        ("rating10", "Rate the hotel (1-10)")]  # fmt: skip
    rating = figure(tmp_path / "cx.duckdb", "rating10")
    assert rating.current.value == pytest.approx(sum(scores) / len(scores))
    assert figure(tmp_path / "cx.duckdb", "nps").current.value is None  # never rescaled into NPS


def test_a_difficulty_question_is_not_taken_for_a_satisfaction_score():
    rows = "".join(f"2024-05-01,{n % 5 + 1},{(n * 3) % 5 + 1}\n" for n in range(30))
    plan = analyse(f"Date,How satisfied are you? (1-5),How difficult was it? (1-5)\n{rows}".encode(), file_name="s.csv")
    assert plan.mapping["How satisfied are you? (1-5)"] == "csat_score"
    assert "How difficult was it? (1-5)" not in plan.mapping
    assert any(n.column == "How difficult was it? (1-5)" and "difficult" in n for n in plan.notes)


# --- two questions on one scale ------------------------------------------------------------------

TWO_QUESTIONS = (
    "Timestamp,How likely are you to recommend R?,How likely are you to recommend Python?\n"
    + "".join(f"2024-05-0{n % 9 + 1},{r},{p}\n" for n, (r, p) in enumerate([(10, 3), (9, 10), (10, 5), (7, 6)] * 10))
    + "".join(f"2024-05-0{n % 9 + 1},10,\n" for n in range(5))
).encode()


def test_two_questions_on_one_scale_are_stored_apart_and_never_pooled(tmp_path):
    path = tmp_path / "cx.duckdb"
    import_file(TWO_QUESTIONS, file_name="survey.csv", db=path)
    assert query(path, "SELECT question, count(*) FROM responses GROUP BY 1 ORDER BY 1") == [
        ("How likely are you to recommend Python?", 40), ("How likely are you to recommend R?", 45)]  # fmt: skip
    # R: 35 promoters of 45, no detractor (77.8); Python: 10 promoters, 30 detractors of 40 (-50). Pooled: 17.6.
    overall = figure(path, "nps")
    assert (overall.current.n, overall.current.value) == (45, pytest.approx(100 * 35 / 45))
    python = figure(path, "nps", question=["How likely are you to recommend Python?"])
    assert (python.current.n, python.current.value) == (40, pytest.approx(-50.0))


def test_the_plan_says_which_question_a_figure_uses_when_two_share_a_scale():
    plan = analyse(TWO_QUESTIONS, file_name="survey.csv")
    [note] = [n for n in plan.notes if n.code == "questions"]
    assert note.startswith("2 questions on the NPS scale are kept apart, never pooled")
    assert 'Figures for NPS use "How likely are you to recommend R?", the one with the most answers' in note


def test_metrics_on_the_command_line_filter_by_question(tmp_path):
    path = tmp_path / "cx.duckdb"
    import_file(TWO_QUESTIONS, file_name="survey.csv", db=path)
    done = cx("metrics", "--db", path, "--json", "--where", "question=How likely are you to recommend Python?")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["nps"]["value"] == pytest.approx(-50.0)


ANSWERS_WITH_A_COMMENT = (
    b"Timestamp,How satisfied are you with support?,How likely are you to recommend us?,What do you like best about us?\n"
    b"2024-05-01,5,10,Fast answers\n"
    b"2024-05-02,2,,\n"
    b"2024-05-03,4,,Kind people\n"
    b"2024-05-04,,3,Nothing\n"
    b"2024-05-05,3,8,\n"
)


def test_a_rows_comment_is_stored_once_with_its_first_answer_nps_first(tmp_path):
    plan = analyse(ANSWERS_WITH_A_COMMENT, file_name="survey.csv")
    assert plan.mapping["What do you like best about us?"] == "comment"  # an open question of the form
    path = tmp_path / "cx.duckdb"
    import_file(ANSWERS_WITH_A_COMMENT, file_name="survey.csv", db=path)
    # Three comments, each once: with the NPS answer where the row has one, else with its CSAT answer.
    assert query(path, "SELECT survey, score::INT, comment FROM responses WHERE comment IS NOT NULL ORDER BY 3") == [
        ("nps", 10, "Fast answers"), ("csat", 4, "Kind people"), ("nps", 3, "Nothing")]  # fmt: skip
    assert query(path, "SELECT count(*) FROM responses") == [(7,)]


@pytest.mark.parametrize(
    ("values", "expected"),
    [([0, 3, 7, 9, 10], "nps_score"), ([1, 2, 4, 5], "csat_score"), ([1, 3, 6, 7], "ces_score"),
     ([0, 1], None), ([12, 40, 77], None), ([2, 3, 4], None)],
)  # fmt: skip
def test_an_unrecognised_file_offers_the_scale_a_columns_values_fit_but_never_takes_it(values, expected):
    content = ("Ref,Q7\n" + "".join(f"r{n},{values[n % len(values)]}\n" for n in range(30))).encode()
    plan = analyse(content, file_name="q7.csv")
    assert plan.kind is None and plan.mapping == {}
    assert [(c.column, c.suggestion) for c in plan.columns] == [("Ref", None), ("Q7", expected)]


# --- the kind follows the grain ------------------------------------------------------------------


def test_a_churn_workbook_with_a_satisfaction_column_imports_customers_and_their_answers(tmp_path):
    rows = "".join(
        f"C{n:03d},{n % 60 + 1},{'Yes' if n % 4 == 0 else 'No'},{n % 5 + 1},{['Fiber', 'DSL'][n % 2]},{n * 3}\n"
        for n in range(40)
    )
    data = f"CustomerID,Tenure,Churn,Satisfaction Score,Internet Service,Monthly Spend\n{rows}".encode()
    path = tmp_path / "cx.duckdb"
    result = import_file(data, file_name="churn.csv", db=path, file_date=date(2024, 6, 30))
    assert (result.kind, result.rows, result.imported, result.rejected) == ("customers+responses", 40, 40, 0)
    assert query(path, "SELECT count(*), sum(churned::INT) FROM customers") == [(40, 10)]
    # Each answer is linked to its customer, and dated by the date given for the whole file.
    assert query(path, "SELECT count(*), count(DISTINCT customer_id), min(responded_at)::DATE::VARCHAR FROM responses") == [
        (40, 40, "2024-06-30")]  # fmt: skip
    assert figure(path, "csat").current.value == pytest.approx(40.0)  # answers 4 and 5: 16 of 40
    assert "Internet Service" in {a for (a,) in query(path, "SELECT DISTINCT attribute FROM customer_attributes")}


def test_a_file_without_dates_is_dated_by_its_own_date_and_says_so(tmp_path):
    path = tmp_path / "survey.csv"
    path.write_bytes(b"Respondent,NPS\nr1,9\nr2,3\n")
    os.utime(path, (1714557600, 1714557600))  # 2024-05-01
    plan = analyse(path, file_name="survey.csv")
    assert plan.file_date == date(2024, 5, 1) and plan.problems is None
    assert any(n.code == "file_date" and "dated 2024-05-01 (the file's date)" in n for n in plan.notes)


def test_a_call_log_with_many_calls_per_customer_is_calls_not_customers(tmp_path):
    rows = "".join(
        f"{n},CUST-{n % 7},2024-02-{n % 28 + 1:02d} 09:{n % 60:02d},{['Billing', 'Outage'][n % 2]}\n" for n in range(50)
    )
    data = f"Call No,Customer ID,Call Date,Reason\n{rows}".encode()
    plan = analyse(data, file_name="calls.csv")
    assert plan.kind == "interactions"
    result = import_file(data, file_name="calls.csv", db=tmp_path / "cx.duckdb")
    assert (result.imported, result.duplicates) == (50, 0)
    notes = [n for n in plan.notes if n.code == "grain"]
    assert notes == [] or notes[0].column == "Customer ID"


def test_customer_ids_that_repeat_make_a_file_of_events_and_the_plan_says_which_column(tmp_path):
    rows = "".join(f"CUST-{n % 5},2024-02-{n % 28 + 1:02d},{n}.50\n" for n in range(30))
    plan = analyse(f"Customer ID,Date,Amount\n{rows}".encode(), file_name="orders.csv")
    assert plan.kind == "interactions"
    [note] = [n for n in plan.notes if n.code == "grain"]
    assert note.column == "Customer ID" and note.startswith('"Customer ID" repeats (5 different values on 30 rows)')


# --- wide surveys --------------------------------------------------------------------------------

TRAVEL = (
    "id,Age,Flight Distance,Inflight wifi service,On-board service,Ease of Online booking,Food and drink,Seat comfort\n"
    "1,34,460,3,4,3,5,5\n2,25,235,3,1,3,1,1\n3,26,1142,2,4,2,5,5\n4,25,562,2,2,5,2,2\n5,61,214,3,3,3,4,5\n"
    "6,20,1180,0,4,3,1,1\n7,47,1276,2,3,2,2,2\n8,52,2035,4,5,4,5,5\n9,41,853,1,1,0,2,2\n10,33,1061,3,2,3,5,0\n"
)


def test_a_travel_survey_of_0_to_5_ratings_becomes_one_answer_per_rating_with_0_as_not_applicable(tmp_path):
    path = tmp_path / "cx.duckdb"
    result = import_file(TRAVEL.encode(), file_name="travel.csv", db=path, file_date=date(2024, 7, 1))
    assert result.kind == "responses" and (result.rows, result.imported, result.rejected) == (10, 10, 0)
    touchpoints = {t for (t,) in query(path, "SELECT DISTINCT touchpoint FROM responses")}
    # The headers, unchanged, name the touchpoints: nothing dropped from "On-board service".
    assert touchpoints == {"Inflight wifi service", "On-board service", "Ease of Online booking", "Food and drink",
                           "Seat comfort"}  # fmt: skip
    assert query(path, "SELECT DISTINCT survey FROM responses") == [("csat",)]
    # Three zeros ("not applicable") drop three answers, not three rows: 50 ratings - 3.
    assert query(path, "SELECT count(*) FROM responses") == [(47,)]
    assert any(n.code == "not_applicable" and n.column == "Inflight wifi service" for n in result.notes)
    assert query(path, "SELECT count(*) FROM responses WHERE touchpoint = 'Age' OR touchpoint = 'Flight Distance'") == [
        (0,)
    ]
    # Each touchpoint is its own question: split by touchpoint, every one keeps its figure.
    with store.reading(path) as backend:
        by_touchpoint = metrics.breakdown(
            backend, "csat", Filters.build(date(2024, 7, 1), date(2024, 7, 1)), by="touchpoint"
        )
    assert dict(zip(by_touchpoint["group"], by_touchpoint["n"], strict=True)) == {
        "Ease of Online booking": 9, "Food and drink": 10, "Inflight wifi service": 9, "On-board service": 10,
        "Seat comfort": 9}  # fmt: skip


# --- dates ---------------------------------------------------------------------------------------


def test_social_media_timestamps_are_read_and_stored_in_utc():
    data = b"tweet_id,created_at,text\n1,Wed Oct 11 06:55:44 +0000 2017,hi\n2,Thu Oct 12 09:00:00 -0500 2017,ok\n"
    plan = analyse(data, file_name="tweets.csv", mapping={"text": "comment"}, kind="interactions")
    assert plan.date_formats["created_at"] == "e-mail or social-media timestamps"
    assert [str(t) for t in plan.preview["occurred_at"]] == ["2017-10-11 06:55:44", "2017-10-12 14:00:00"]


@pytest.mark.parametrize(
    ("header", "values", "expected"),
    [
        ("Created", ["2024-05-01T10:00:00+02:00", "2024-05-02T10:00:00Z"], ["2024-05-01 08:00:00", "2024-05-02 10:00:00"]),
        ("created_at", ["1507704944", "1507791344"], ["2017-10-11 06:55:44", "2017-10-12 06:55:44"]),
        ("created_at", ["1507704944123", "1507791344000"], ["2017-10-11 06:55:44.123000", "2017-10-12 06:55:44"]),
        ("Date", ["43000", "43000.5"], ["2017-09-22 00:00:00", "2017-09-22 12:00:00"]),
        ("Date", ["31-Jul-18", "16-May-18"], ["2018-07-31 00:00:00", "2018-05-16 00:00:00"]),
    ],
)  # fmt: skip
def test_dates_in_the_formats_exports_use_are_read(header, values, expected):
    rows = "".join(f"t{n},{v},Chat\n" for n, v in enumerate(values))
    plan = analyse(f"Ticket ID,{header},Channel\n{rows}".encode(), file_name="t.csv")
    assert plan.mapping[header] == "occurred_at"
    assert [str(t) for t in plan.preview["occurred_at"]] == expected


def test_version_numbers_are_never_dates_and_an_app_review_export_imports(tmp_path):
    rows = "".join(
        f"u{n},{['5.1.57', '5.1.9', '4.12.3'][n % 3]},{n % 5 + 1},2020-0{n % 9 + 1}-15,Nice app {n}\n"
        for n in range(30)
    )
    data = f"reviewId,appVersion,score,at,content\n{rows}".encode()
    plan = analyse(data, file_name="play_reviews.csv")
    assert "appVersion" not in plan.mapping and plan.ambiguous_dates == [] and plan.problems is None
    assert (plan.mapping["score"], plan.mapping["at"]) == ("csat_score", "responded_at")
    assert import_file(data, file_name="play_reviews.csv", db=tmp_path / "cx.duckdb").imported == 30


def test_a_column_chosen_as_a_date_that_holds_none_shows_three_values_and_the_formats_tried():
    data = b"Ref,When,NPS\n1,soon,9\n2,later,3\n3,never,10\n4,someday,8\n"
    plan = analyse(data, file_name="odd.csv", mapping={"When": "responded_at"})
    assert plan.problem_column == "When"
    assert (
        'Three of them: "soon", "later", "never". Formats tried: year-month-day (ISO 8601), YYYYMMDD' in plan.problems
    )
    assert "Unix time" in plan.problems and "Excel serial day numbers" in plan.problems


def test_undecidable_day_and_month_order_is_asked_with_both_readings():
    plan = analyse(b"Customer ID,Order date,Amount\nc1,03/04/2024,10\nc2,05/06/2024,12\n", file_name="o.csv")
    assert plan.ambiguous_dates == ["Order date"]
    fmt = next(f for f in plan.dates.values() if f.ambiguous)
    assert (fmt.reading("03/04/2024", "mdy"), fmt.reading("03/04/2024", "dmy")) == ("4 March 2024", "3 April 2024")


# --- plausibility --------------------------------------------------------------------------------


def test_a_figure_at_the_end_of_its_scale_is_refused_until_confirmed_and_nothing_is_stored(tmp_path):
    path = tmp_path / "cx.duckdb"
    rows = "".join(f"r{n},2024-05-01,{n % 3}\n" for n in range(60))  # a count 0, 1, 2 taken for CSAT by the user
    data = f"Ref,Date,Satisfied customers\n{rows}".encode()
    with pytest.raises(ImportRefused, match="gives CSAT 0.0% on 40 answers, the very end of the scale"):
        import_file(data, file_name="x.csv", db=path, mapping={"Satisfied customers": "csat_score"})
    assert contents(path) == {} or query(path, "SELECT count(*) FROM responses") == [(0,)]
    plan = analyse(data, file_name="x.csv", mapping={"Satisfied customers": "csat_score"})
    assert [n.code for n in plan.warnings] == ["extreme"]
    assert [p.figure for p in plan.previews] == ["CSAT 0.0% on 40 answers"]
    stored = import_file(data, file_name="x.csv", db=path, mapping={"Satisfied customers": "csat_score"},
                         accept_warnings=True)  # fmt: skip
    assert (stored.imported, stored.rejected) == (40, 20)  # the zeros are off the 1-5 scale: rejected, listed


def test_a_mostly_filled_column_that_yields_answers_for_few_rows_needs_a_look():
    rows = "".join(f"r{n},2024-05-01,{[3, 7, 8, 9][n % 4]}\n" for n in range(40))
    plan = analyse(f"Ref,Date,Grade\n{rows}".encode(), file_name="x.csv", mapping={"Grade": "csat_score"})
    assert [n.code for n in plan.warnings] == ["few_rows"]
    assert plan.warnings[0] == (
        '"Grade" is filled in 100% of the rows, but only 25% of the rows become CSAT answers; check that it is the '
        "CSAT column."
    )


def test_the_command_line_refuses_an_implausible_figure_without_accept_warnings(tmp_path):
    rows = "".join(f"r{n},2024-05-01,{n % 3}\n" for n in range(60))
    file = tmp_path / "x.csv"
    file.write_text(f"Ref,Date,Satisfied customers\n{rows}")
    refused = cx("import", file, "--db", tmp_path / "cx.duckdb", "--map", "Satisfied customers=csat_score", "--json")
    assert refused.returncode == 1
    [result] = json.loads(refused.stdout)
    assert result["rows"] == 60 and result["imported"] == 0  # a refused file still says how many rows it has
    assert "--accept-warnings" in result["errors"][0]["reason"]
    assert any(n["severity"] == "warning" for n in result["notes"])
    done = cx("import", file, "--db", tmp_path / "cx.duckdb", "--map", "Satisfied customers=csat_score",
              "--accept-warnings")  # fmt: skip
    assert done.returncode == 0 and '"Satisfied customers" → csat_score: your choice' in done.stdout


# --- the command line ----------------------------------------------------------------------------


def test_import_prints_the_mapping_the_figures_and_the_notes(tmp_path):
    file = tmp_path / "survey.csv"
    file.write_bytes(TWO_QUESTIONS)
    done = cx("import", file, "--db", tmp_path / "cx.duckdb")
    assert done.returncode == 0, done.stderr
    assert "survey.csv: a survey responses file, 45 rows" in done.stdout
    assert '"Timestamp" → responded_at: header "Timestamp"; dates' in done.stdout
    assert 'figure: "How likely are you to recommend R?" → NPS 77.8 on 45 answers' in done.stdout
    assert "note: 2 questions on the NPS scale are kept apart" in done.stdout
    assert (
        "45 rows: 45 imported, 0 duplicates skipped, 0 rejected (import 1; undo with: python -m cx undo 1)"
        in done.stdout
    )


def test_imports_lists_and_undo_removes_exactly_one_import(tmp_path):
    path = tmp_path / "cx.duckdb"
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_bytes(b"Customer ID,Plan\nc1,Gold\nc2,Basic\n")
    second.write_bytes(b"Customer ID,Plan\nc3,Gold\n")
    assert cx("import", first, second, "--db", path).returncode == 0
    listed = cx("imports", "--db", path, "--json")
    assert [(r["import_id"], r["file_name"], r["status"]) for r in json.loads(listed.stdout)] == [
        (2, "b.csv", "done"), (1, "a.csv", "done")]  # fmt: skip
    undone = cx("undo", "1", "--db", path)
    assert undone.returncode == 0 and 'Import 1 ("a.csv") undone: 2 records removed.' in undone.stdout
    assert query(path, "SELECT customer_id FROM customers") == [("c3",)]
    assert "undone" in cx("imports", "--db", path).stdout
    assert cx("undo", "9", "--db", path).returncode == 2


def test_where_accepts_a_files_own_column_name_for_the_field_it_became(tmp_path):
    path = tmp_path / "cx.duckdb"
    file = tmp_path / "bank.csv"
    file.write_bytes(b"CustomerId,Geography,Exited\n1,France,1\n2,France,0\n3,Spain,0\n4,Germany,1\n")
    assert cx("import", file, "--db", path).returncode == 0
    by_field = json.loads(cx("metrics", "--db", path, "--json", "--where", "region=France").stdout)
    by_header = json.loads(cx("metrics", "--db", path, "--json", "--where", "Geography=France").stdout)
    assert by_header["churn_rate"]["customers"] == by_field["churn_rate"]["customers"] == 2
    unknown = cx("metrics", "--db", path, "--where", "Colour=red")
    assert unknown.returncode == 2 and 'nothing is stored under "Colour"' in unknown.stderr


# --- saved mappings ------------------------------------------------------------------------------


def test_a_saved_mapping_is_applied_to_the_next_file_with_the_same_headers(tmp_path):
    path = tmp_path / "cx.duckdb"
    january = b"Ref,Submitted,Q7\nr1,2024-01-03,4\nr2,2024-01-04,5\n"
    february = b"Q7,Ref,Submitted\n2,r3,2024-02-03\n5,r4,2024-02-04\n"  # same headers, another order
    guessed = analyse(january, file_name="jan.csv", db=path)
    assert "Q7" not in guessed.mapping  # no header says what Q7 is
    fixed = analyse(january, file_name="jan.csv", db=path, mapping={"Q7": "csat_score"})
    save_mapping("Monthly survey", fixed.headers, fixed.full_mapping(), path)
    plan = analyse(february, file_name="feb.csv", db=path)
    assert plan.saved_mapping == "Monthly survey" and plan.mapping["Q7"] == "csat_score"
    assert plan.notes[0] == 'The saved mapping "Monthly survey" fits these headers, so it was applied.'
    assert analyse(february, file_name="feb.csv", db=path, use_saved=False).saved_mapping is None


def test_the_command_line_saves_a_mapping_and_uses_it_by_name(tmp_path):
    path = tmp_path / "cx.duckdb"
    first, second = tmp_path / "jan.csv", tmp_path / "other.csv"
    first.write_bytes(b"Ref,Submitted,Q7\nr1,2024-01-03,4\n")
    second.write_bytes(b"Ref,Submitted,Q7,Extra\nr2,2024-02-03,5,x\n")
    assert cx("import", first, "--db", path, "--map", "Q7=csat_score", "--save-mapping", "Monthly").returncode == 0
    done = cx("import", second, "--db", path, "--mapping", "Monthly")
    assert done.returncode == 0, done.stderr
    assert query(path, "SELECT count(*) FROM responses WHERE survey = 'csat'") == [(2,)]
    assert cx("import", second, "--db", path, "--mapping", "Nope").returncode == 2


def test_a_web_page_saved_as_csv_with_its_first_cell_quoted_is_refused_without_its_styles():
    page = b'"<html><head><style>body { color: red; font-family: Arial }</style></head><body>Session expired</body></html>"\n'
    plan = analyse(page, file_name="export.csv")
    assert plan.problems.startswith('The file "export.csv" is a web page (HTML starting with "<html")')
    assert "color" not in plan.problems


@pytest.mark.parametrize(
    "header",
    ["Por que você deu essa nota?", "¿Por qué nos diste esa puntuación?", "Warum haben Sie diese Bewertung gegeben?",
     "O que podemos melhorar?", "Pourquoi cette note ?"],
)  # fmt: skip
def test_a_forms_open_question_in_another_language_is_its_comment(header):
    data = (f'Carimbo de data/hora,"Em uma escala de 0 a 10, qual a probabilidade de você nos recomendar?","{header}"\n'
            '01/03/2026 09:00:00,3,"Fui cobrado duas vezes, o reembolso não veio"\n'
            '02/03/2026 10:00:00,9,"Equipe muito atenciosa"\n').encode()  # fmt: skip
    plan = analyse(data, file_name="pesquisa.csv")
    assert plan.mapping[header] == "comment"
