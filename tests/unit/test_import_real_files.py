"""Every real export in shared/data/real imports through the command line with its reference figures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from cx.analysis import rolled
from cx.ingest import analyse
from tests.conftest import REAL_DATA

ROOT = Path(__file__).resolve().parents[2]
REAL = REAL_DATA
FILES = ["telco_customer_churn.csv", "bank_churn_modelling.csv", "customer_support_tickets.csv", "cdnow_sample.txt"]


def cx_import(db: Path, *files: str) -> tuple[int, list[dict]]:
    done = subprocess.run([sys.executable, "-m", "cx", "import", *(str(REAL / f) for f in files), "--db", str(db), "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)  # fmt: skip
    return done.returncode, json.loads(done.stdout)


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    db = tmp_path_factory.mktemp("real") / "cx.duckdb"
    status, results = cx_import(db, *FILES)
    assert status == 0, results
    return db, {r["file"]: r for r in results}


def sql(db: Path, query: str, params=()):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(query, params).fetchall()
    finally:
        con.close()


def test_every_record_of_every_file_is_accounted_for(imported):
    _, results = imported
    assert {f: (r["rows"], r["imported"], r["rejected"]) for f, r in results.items()} == {
        "telco_customer_churn.csv": (7043, 7043, 0),
        "bank_churn_modelling.csv": (10000, 10000, 0),
        "customer_support_tickets.csv": (8469, 8469, 0),
        "cdnow_sample.txt": (6919, 6919, 0),
    }


def test_telco_churn_is_1869_of_7043_and_by_contract_as_published(imported):
    db, results = imported
    import_id = sql(db, "SELECT import_id FROM imports WHERE file_name = 'telco_customer_churn.csv'")[0][0]
    assert sql(db, "SELECT sum(churned::INT), count(*) FROM customers WHERE import_id = ?", [import_id]) == [
        (1869, 7043)
    ]
    # Contract is a term the file brings, not a plan: it is kept as an attribute to segment by.
    rates = sql(
        db,
        """SELECT a.value, sum(c.churned::INT), count(*), round(100 * avg(c.churned::INT), 2)
           FROM customers c JOIN customer_attributes a USING (customer_id)
           WHERE c.import_id = ? AND a.attribute = 'Contract' GROUP BY 1 ORDER BY 1""",
        [import_id],
    )
    assert rates == [("Month-to-month", 1655, 3875, 42.71), ("One year", 166, 1473, 11.27),
                     ("Two year", 48, 1695, 2.83)]  # fmt: skip
    assert results["telco_customer_churn.csv"]["mapping"].get("Contract") is None
    assert sql(db, "SELECT count(plan) FROM customers WHERE import_id = ?", [import_id]) == [(0,)]
    # No dates in the file: a snapshot, and the other columns kept as attributes (TotalCharges blank in 11 rows).
    assert sql(db, "SELECT count(*) FROM customers WHERE import_id = ? AND churn_date IS NOT NULL", [import_id]) == [
        (0,)
    ]
    assert sql(db, "SELECT count(*) FROM customer_attributes WHERE attribute = 'TotalCharges'") == [(7043 - 11,)]


def test_bank_churn_is_2037_of_10000(imported):
    db, _ = imported
    import_id = sql(db, "SELECT import_id FROM imports WHERE file_name = 'bank_churn_modelling.csv'")[0][0]
    assert sql(db, "SELECT sum(churned::INT), count(*) FROM customers WHERE import_id = ?", [import_id]) == [
        (2037, 10000)
    ]


def test_ticket_ratings_match_the_reference(imported):
    db, results = imported
    assert results["customer_support_tickets.csv"]["kind"] == "interactions+responses"
    n, mean, top_two = sql(
        db,
        "SELECT count(*), round(avg(score), 4), round(100 * avg((score >= 4)::INT), 2) FROM responses WHERE survey = 'csat'",
    )[0]
    assert (n, mean, top_two) == (2769, 2.9913, 39.26)
    # Multi-line descriptions did not split records: 8469 tickets, each rating linked to its ticket.
    assert sql(db, "SELECT count(*) FROM interactions WHERE interaction_id NOT LIKE 'i-%'") == [(8469,)]
    assert sql(db, "SELECT count(*) FROM responses r JOIN interactions i USING (interaction_id)") == [(2769,)]
    # Timestamps are not durations: nothing negative, nothing invented.
    assert sql(db, "SELECT count(response_time_s), count(resolution_time_s) FROM interactions") == [(0, 0)]


def test_tickets_are_dated_by_their_date_of_purchase_and_the_plan_says_so():
    plan = analyse(REAL / "customer_support_tickets.csv", file_name="customer_support_tickets.csv")
    assert plan.mapping["Date of Purchase"] == "occurred_at"
    assert any(note.startswith('"Date of Purchase" was used as the date of each ticket') for note in plan.notes)


def test_cdnow_purchases_become_interactions_with_revenue(imported):
    db, _ = imported
    expected = sum(
        float(line.split()[4]) for line in (REAL / "cdnow_sample.txt").read_text().splitlines() if line.strip()
    )
    count, customers, revenue, first, last = sql(
        db, "SELECT count(*), count(DISTINCT customer_id), sum(revenue), min(occurred_at)::DATE::VARCHAR, max(occurred_at)::DATE::VARCHAR "
        "FROM interactions WHERE interaction_id LIKE 'i-%'")[0]  # fmt: skip
    assert count == 6919 and revenue == pytest.approx(expected)
    assert (first, last) == ("1997-01-01", "1998-06-30")
    assert customers == len(
        {line.split()[0] for line in (REAL / "cdnow_sample.txt").read_text().splitlines() if line.strip()}
    )


def test_importing_them_all_again_adds_nothing(imported):
    db, _ = imported
    status, results = cx_import(db, *FILES, "telco_customer_churn.parquet")
    assert status == 0
    assert [(r["imported"], r["duplicates"]) for r in results] == [
        (0, 7043), (0, 10000), (0, 8469), (0, 6919), (0, 7043)]  # fmt: skip


def cx_metrics(db: Path, *where: str) -> dict:
    args = [a for w in where for a in ("--where", w)]
    done = subprocess.run([sys.executable, "-m", "cx", "metrics", "--db", str(db), "--json", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def one_file_databases(tmp_path_factory):
    """Each file alone in its database, so the dashboard's metrics over all the data are that file's."""
    folder = tmp_path_factory.mktemp("alone")
    databases = {}
    for name in ("telco_customer_churn.csv", "bank_churn_modelling.csv", "customer_support_tickets.csv"):
        databases[name] = folder / (name + ".duckdb")
        status, results = cx_import(databases[name], name)
        assert status == 0, results
    return databases


def test_metrics_command_shows_the_reference_churn_of_telco_overall_and_by_contract(one_file_databases):
    db = one_file_databases["telco_customer_churn.csv"]
    churn = cx_metrics(db)["churn_rate"]
    assert churn["value"] == pytest.approx(26.54, abs=0.01) and churn["basis"] == "snapshot"
    assert (churn["churned"], churn["customers"]) == (1869, 7043)
    month_to_month = cx_metrics(db, "Contract=Month-to-month")["churn_rate"]
    assert month_to_month["value"] == pytest.approx(42.71, abs=0.01)
    assert (month_to_month["churned"], month_to_month["customers"]) == (1655, 3875)


def test_metrics_command_shows_the_reference_churn_of_the_bank(one_file_databases):
    churn = cx_metrics(one_file_databases["bank_churn_modelling.csv"])["churn_rate"]
    assert churn["value"] == pytest.approx(20.37, abs=0.01) and (churn["churned"], churn["customers"]) == (2037, 10000)


def test_metrics_command_shows_the_reference_ticket_ratings_over_the_span_of_the_data(one_file_databases):
    db = one_file_databases["customer_support_tickets.csv"]
    result = cx_metrics(db)
    # The default period is the span of the data; every rating falls inside it, so none is left out.
    first, last = sql(db, "SELECT min(responded_at)::DATE::VARCHAR, max(responded_at)::DATE::VARCHAR FROM responses")[0]
    assert result["from"] <= first and last <= result["to"]
    csat = result["csat"]
    assert csat["n"] == 2769
    assert csat["value"] == pytest.approx(39.26, abs=0.01)
    assert csat["mean"] == pytest.approx(2.9913, abs=0.0001)


# --- the exports added with the import issue: each alone in its database, imported with no --map or --kind ---

MORE = ["reviews_amazon_alexa_en.tsv", "survey_carpentries_instructor_post.csv", "survey_rcommunity2019_en_googleforms.xlsx",
        "servicerequests_la311_2017-12.csv", "subscriptions_oulad_registrations.csv", "telco_customer_churn.parquet"]  # fmt: skip
R_QUESTION = "How likely are you to recommend R to a colleague, friend, or family member?"
PYTHON_QUESTION = "How likely are you to recommend Python to a colleague, friend, or family member?"
ENJOY_R = (
    "Please rate how much you enjoy using R on a scale of 1 to 5, where 1 is you don't enjoy it at all, "
    "and 5 is that you enjoy it a great deal."
)


@pytest.fixture(scope="module")
def alone(tmp_path_factory):
    folder = tmp_path_factory.mktemp("more")
    databases, results = {}, {}
    for name in MORE:
        databases[name] = folder / (name + ".duckdb")
        status, [result] = cx_import(databases[name], name)
        assert status == 0, result
        results[name] = result
    return databases, results


def test_every_added_export_imports_by_default_with_every_row_accounted_for(alone):
    _, results = alone
    assert {n: (r["kind"], r["rows"], r["imported"], r["duplicates"], r["rejected"]) for n, r in results.items()} == {
        "reviews_amazon_alexa_en.tsv": ("responses", 3150, 3150, 0, 0),
        # 78 respondents left the 0-10 question blank: nothing to store, listed as rejected with the reason.
        "survey_carpentries_instructor_post.csv": ("responses", 967, 889, 0, 78),
        "survey_rcommunity2019_en_googleforms.xlsx": ("responses", 1838, 1802, 0, 36),
        "servicerequests_la311_2017-12.csv": ("interactions", 9999, 9999, 0, 0),
        "subscriptions_oulad_registrations.csv": ("customers", 32593, 32593, 0, 0),
        "telco_customer_churn.parquet": ("customers", 7043, 7043, 0, 0),
    }


def test_alexa_reviews_give_the_reference_csat_mean_and_dates(alone):
    databases, results = alone
    assert results["reviews_amazon_alexa_en.tsv"]["mapping"] == {
        "rating": "csat_score", "date": "responded_at", "verified_reviews": "comment"}  # fmt: skip
    result = cx_metrics(databases["reviews_amazon_alexa_en.tsv"])
    assert (result["from"], result["to"]) == ("2018-05-16", "2018-07-31")  # "31-Jul-18" is 2018, not the year 18
    assert result["csat"]["n"] == 3150
    assert result["csat"]["value"] == pytest.approx(87.02, abs=0.005)
    assert result["csat"]["mean"] == pytest.approx(4.463, abs=0.0005)


def test_carpentries_survey_gives_the_reference_nps_and_dates(alone):
    databases, _ = alone
    result = cx_metrics(databases["survey_carpentries_instructor_post.csv"])
    assert (result["from"], result["to"]) == ("2016-06-09", "2018-09-08")  # 9/8/18 is September 8
    nps = result["nps"]
    assert (nps["n"], nps["promoters"], nps["detractors"]) == (889, 501, 71)
    assert nps["value"] == pytest.approx(48.37, abs=0.005)


def test_r_survey_keeps_its_two_recommend_questions_apart_and_gives_the_reference_nps_of_r(alone):
    databases, _ = alone
    db = databases["survey_rcommunity2019_en_googleforms.xlsx"]
    result = cx_metrics(db)
    nps = result["nps"]  # the R question: the one with the most answers, never pooled with Python's
    assert (nps["n"], nps["promoters"], nps["detractors"]) == (1795, 1386, 58)
    assert nps["value"] == pytest.approx(73.98, abs=0.005)
    csat = result["csat"]  # "how much you enjoy using R", 4-5 of 5
    assert csat["n"] == 1798 and csat["value"] == pytest.approx(95.27, abs=0.005)
    assert sql(db, "SELECT count(DISTINCT question) FROM responses WHERE survey = 'nps'") == [(2,)]
    # The Python question, computed here from the workbook itself (1-10 answers, 1-6 detractors).
    from python_calamine import CalamineWorkbook

    rows = (
        CalamineWorkbook.from_path(str(REAL / "survey_rcommunity2019_en_googleforms.xlsx"))
        .get_sheet_by_index(0)
        .to_python()
    )
    column = rows[0].index(PYTHON_QUESTION)
    answers = [int(r[column]) for r in rows[1:] if column < len(r) and r[column] not in ("", None)]
    expected = 100 * (sum(a >= 9 for a in answers) - sum(a <= 6 for a in answers)) / len(answers)
    python = cx_metrics(db, f"question={PYTHON_QUESTION}")["nps"]
    assert python["n"] == len(answers) == 1015
    assert python["value"] == pytest.approx(expected)


def test_la_311_requests_give_the_phone_share_and_a_resolution_median_computed_here(alone):
    import pandas as pd

    databases, results = alone
    db = databases["servicerequests_la311_2017-12.csv"]
    assert results["servicerequests_la311_2017-12.csv"]["mapping"] == {
        "SRNumber": "interaction_id", "CreatedDate": "occurred_at", "RequestType": "touchpoint", "Status": "outcome",
        "RequestSource": "channel", "ClosedDate": "resolution_time_s"}  # fmt: skip
    share = sql(db, "SELECT round(100 * avg((channel = 'Call')::INT), 2) FROM interactions")
    assert share == [(41.88,)]
    # The reference median (100.20 h over Closed requests) counts 12 requests closed before they were created;
    # a negative duration is not stored, so we check the stored durations against the same rule computed here.
    frame = pd.read_csv(REAL / "servicerequests_la311_2017-12.csv", dtype=str)
    hours = (
        pd.to_datetime(frame.ClosedDate, format="%m/%d/%Y %I:%M:%S %p")
        - pd.to_datetime(frame.CreatedDate, format="%m/%d/%Y %I:%M:%S %p")
    ).dt.total_seconds() / 3600
    closed = frame.Status == "Closed"
    assert hours[closed].median() == pytest.approx(100.20, abs=0.005)  # the reference, reproduced from the file
    stored = sql(
        db,
        "SELECT median(resolution_time_s) / 3600, count(resolution_time_s) FROM interactions WHERE outcome = 'Closed'",
    )
    assert stored == [(pytest.approx(hours[closed & (hours >= 0)].median()), int((closed & (hours >= 0)).sum()))]
    resolution = cx_metrics(db)["resolution_time"]
    assert resolution["n"] == int((hours >= 0).sum()) == 9982
    # `cx metrics` reads the median from the rollups' histogram: within its stated error of the exact one.
    assert resolution["median_s"] / 3600 == pytest.approx(hours[hours >= 0].median(), rel=rolled.QUANTILE_ERROR)


def test_oulad_registrations_give_the_reference_withdrawal_share_and_median_day(alone):
    databases, results = alone
    db = databases["subscriptions_oulad_registrations.csv"]
    churn = cx_metrics(db)["churn_rate"]
    assert (churn["churned"], churn["customers"], churn["basis"]) == (10072, 32593, "snapshot")
    assert churn["value"] == pytest.approx(30.90, abs=0.005)
    # Day numbers are no dates: the withdrawal day is kept as an attribute, with its median as published.
    median = sql(db, "SELECT median(value::INT) FROM customer_attributes WHERE attribute = 'date_unregistration'")
    assert median == [(27.0,)]
    assert any(
        n["code"] == "grain" and n["column"] == "id_student"
        for n in results["subscriptions_oulad_registrations.csv"]["notes"]
    )


def test_the_telco_parquet_gives_the_same_churn_as_the_csv(alone):
    databases, _ = alone
    churn = cx_metrics(databases["telco_customer_churn.parquet"])["churn_rate"]
    assert (churn["churned"], churn["customers"]) == (1869, 7043)
