"""Every real export in shared/data/real imports through the command line with its reference figures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

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
