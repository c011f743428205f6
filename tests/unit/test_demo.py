"""The demo database: seeded, within scales, consistent, and telling its story."""

from __future__ import annotations

import argparse
from datetime import date

import duckdb
import numpy as np
import pytest

from cx.cli import demo as demo_cli
from cx.ingest import demo

TODAY = date(2026, 11, 24)
SMALL = {"customers": 500, "interactions": 20_000, "responses": 3_000, "seed": 11, "today": TODAY}


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    summary = demo.build_demo(path, **SMALL)
    return path, summary


def query(path, sql, params=None):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def cli(argv):
    parser = argparse.ArgumentParser()
    demo_cli.add_arguments(parser)
    return demo_cli.run(parser.parse_args(argv))


def test_the_summary_counts_what_was_asked_for_and_names_the_incident(small_demo):
    path, summary = small_demo
    assert (summary.customers, summary.interactions, summary.responses) == (500, 20_000, 3_000)
    assert (summary.nps_responses, summary.csat_responses, summary.ces_responses) == (900, 1_650, 450)
    assert query(path, "SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM interactions), "
                       "(SELECT count(*) FROM responses)") == [(500, 20_000, 3_000)]  # fmt: skip
    # Five months before November 2026, in the support stage.
    assert summary.incident_month == date(2026, 6, 1)
    assert (summary.incident_touchpoint, summary.incident_journey_stage) == ("Billing inquiry", "support")
    assert (summary.first_day, summary.last_day) == (date(2024, 11, 1), date(2026, 11, 23))


def test_the_same_seed_builds_identical_data(tmp_path, small_demo):
    path, _ = small_demo
    again = tmp_path / "again.duckdb"
    demo.build_demo(again, **SMALL)
    for table in ("customers", "customer_attributes", "interactions", "responses"):
        sql = f"SELECT * FROM {table} ORDER BY ALL"
        assert query(path, sql) == query(again, sql), table


def test_another_seed_builds_other_data(tmp_path, small_demo):
    path, _ = small_demo
    other = tmp_path / "other.duckdb"
    demo.build_demo(other, **{**SMALL, "seed": 12})
    sql = "SELECT * FROM responses ORDER BY ALL"
    assert query(path, sql) != query(other, sql)


def test_every_score_is_within_its_survey_scale(small_demo):
    path, _ = small_demo
    rows = query(path, "SELECT survey, min(score), max(score) FROM responses GROUP BY survey ORDER BY survey")
    assert rows == [("ces", 1, 7), ("csat", 1, 5), ("nps", 0, 10)]


def test_interactions_happen_only_while_the_customer_is_active(small_demo):
    path, _ = small_demo
    outside = query(
        path,
        """SELECT count(*) FROM interactions i JOIN customers c USING (customer_id)
           WHERE i.occurred_at < c.signup_date OR i.occurred_at >= c.churn_date OR i.occurred_at >= ?""",
        [TODAY],
    )
    assert outside == [(0,)]
    orphans = query(
        path, "SELECT count(*) FROM interactions WHERE customer_id NOT IN (SELECT customer_id FROM customers)"
    )
    assert orphans == [(0,)]


def test_churn_comes_after_signup_and_never_in_the_future(small_demo):
    path, _ = small_demo
    rows = query(
        path,
        """SELECT count(*) FILTER (churned AND (churn_date <= signup_date OR churn_date > ?)),
                  count(*) FILTER (churned <> (churn_date IS NOT NULL)),
                  count(*) FILTER (signup_date < ? - INTERVAL 5 YEAR OR signup_date >= ?)
           FROM customers""",
        [TODAY, TODAY, TODAY],
    )
    assert rows == [(0, 0, 0)]


def test_surveys_after_a_touchpoint_copy_the_interaction_they_follow(small_demo):
    path, _ = small_demo
    mismatched = query(
        path,
        """SELECT count(*) FROM responses r JOIN interactions i USING (interaction_id)
           WHERE r.touchpoint <> i.touchpoint OR r.channel <> i.channel OR r.journey_stage <> i.journey_stage
              OR r.customer_id <> i.customer_id OR r.responded_at < i.occurred_at""",
    )
    assert mismatched == [(0,)]
    unlinked = query(path, "SELECT survey, count(*) FROM responses WHERE interaction_id IS NULL GROUP BY ALL")
    assert unlinked == [("nps", 900)]
    ces_stages = query(path, "SELECT DISTINCT journey_stage FROM responses WHERE survey = 'ces' ORDER BY 1")
    assert ces_stages == [("onboarding",), ("support",)]


def test_a_few_nps_responses_are_anonymous(small_demo):
    path, _ = small_demo
    [(anonymous, total)] = query(
        path, "SELECT count(*) FILTER (customer_id IS NULL), count(*) FROM responses WHERE survey = 'nps'"
    )
    assert 0 < anonymous / total < 0.06
    assert query(path, "SELECT count(*) FROM responses WHERE survey <> 'nps' AND customer_id IS NULL") == [(0,)]


def test_the_incident_month_billing_csat_is_clearly_lower_than_other_months(small_demo):
    path, _ = small_demo
    rows = query(
        path,
        """SELECT date_trunc('month', i.occurred_at) = DATE '2026-06-01' AS incident,
                  avg((r.score >= 4)::INT) AS satisfied, count(*)
           FROM responses r JOIN interactions i USING (interaction_id)
           WHERE r.survey = 'csat' AND r.touchpoint = 'Billing inquiry'
           GROUP BY ALL ORDER BY incident""",
    )
    (_, usual, _), (_, incident, incident_n) = rows
    assert incident_n >= 10
    assert incident < usual - 0.25
    [(usual_rt, incident_rt)] = query(
        path,
        """SELECT median(response_time_s) FILTER (date_trunc('month', occurred_at) <> DATE '2026-06-01'),
                  median(response_time_s) FILTER (date_trunc('month', occurred_at) = DATE '2026-06-01')
           FROM interactions WHERE touchpoint = 'Billing inquiry'""",
    )
    assert incident_rt > 2 * usual_rt


def test_detractors_churn_more_within_90_days_than_promoters(small_demo):
    path, _ = small_demo
    rows = dict(
        query(
            path,
            """SELECT score >= 9 AS promoter,
                      avg((c.churn_date IS NOT NULL AND c.churn_date <= r.responded_at::DATE + 90)::INT)
               FROM responses r JOIN customers c USING (customer_id)
               WHERE r.survey = 'nps' AND (r.score >= 9 OR r.score <= 6) AND r.responded_at < ? - INTERVAL 90 DAY
               GROUP BY ALL""",
            [TODAY],
        )
    )
    assert rows[False] > 2 * rows[True]


def test_fewer_customers_reach_each_later_journey_stage(small_demo):
    path, _ = small_demo
    reached = dict(query(path, "SELECT journey_stage, count(DISTINCT customer_id) FROM interactions GROUP BY 1"))
    counts = [reached[stage] for stage in ("awareness", "purchase", "onboarding", "usage", "support", "renewal")]
    assert counts == sorted(counts, reverse=True)
    assert counts[0] > counts[-1] * 1.5


def test_segments_differ_in_nps(small_demo):
    path, _ = small_demo
    nps = dict(
        query(
            path,
            """SELECT c.segment, avg((score >= 9)::INT) - avg((score <= 6)::INT)
               FROM responses r JOIN customers c USING (customer_id) WHERE survey = 'nps' GROUP BY 1""",
        )
    )
    assert nps["Enterprise"] > nps["Consumer"] + 0.05


def test_the_demo_import_row_exists_and_every_row_carries_its_id(small_demo):
    path, summary = small_demo
    assert query(
        path, "SELECT import_id, file_name, kind, status, rows, imported, duplicates, rejected FROM imports"
    ) == [(summary.import_id, "demo data", "demo", "done", 23_500, 23_500, 0, 0)]
    for table in ("customers", "customer_attributes", "interactions", "responses"):
        others = query(path, f"SELECT count(*) FROM {table} WHERE import_id IS DISTINCT FROM ?", [summary.import_id])
        assert others == [(0,)], table
    attributes = query(path, "SELECT attribute, count(*) FROM customer_attributes GROUP BY 1 ORDER BY 1")
    assert attributes == [("acquisition_channel", 500), ("industry", 500)]


def test_a_failed_build_leaves_no_file(tmp_path, monkeypatch):
    def load_then_fail(con, *args):
        real_load(con, *args)
        raise KeyboardInterrupt  # as if the user pressed Ctrl-C after the rows went in

    real_load = demo._load
    monkeypatch.setattr(demo, "_load", load_then_fail)
    path = tmp_path / "cx.duckdb"
    with pytest.raises(KeyboardInterrupt):
        demo.build_demo(path, **SMALL)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_build_keeps_the_database_it_would_have_replaced(tmp_path, monkeypatch):
    path = tmp_path / "cx.duckdb"
    demo.build_demo(path, **{**SMALL, "customers": 50, "interactions": 1_000, "responses": 100})
    monkeypatch.setattr(demo, "_load", lambda *args: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        demo.build_demo(path, **SMALL)
    assert query(path, "SELECT count(*) FROM customers") == [(50,)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cx.duckdb"]


def test_the_cli_refuses_to_overwrite_a_database_with_data_without_force(tmp_path, capsys):
    path = tmp_path / "cx.duckdb"
    small = ["--db", str(path), "--customers", "40", "--interactions", "800", "--responses", "100"]
    assert cli([*small, "--seed", "1"]) == 0
    assert "40 customers" in capsys.readouterr().out
    before = query(path, "SELECT * FROM customers ORDER BY ALL")

    assert cli([*small, "--seed", "2"]) == 1
    assert "--force" in capsys.readouterr().err
    assert query(path, "SELECT * FROM customers ORDER BY ALL") == before

    assert cli([*small, "--seed", "2", "--force"]) == 0
    assert query(path, "SELECT * FROM customers ORDER BY ALL") != before


def test_the_cli_builds_over_an_empty_database(tmp_path):
    path = tmp_path / "cx.duckdb"
    duckdb.connect(str(path)).close()
    assert cli(["--db", str(path), "--customers", "40", "--interactions", "800", "--responses", "100"]) == 0
    assert query(path, "SELECT count(*) FROM customers") == [(40,)]


def test_the_cli_explains_impossible_counts(tmp_path, capsys):
    path = tmp_path / "cx.duckdb"
    assert cli(["--db", str(path), "--customers", "40", "--interactions", "10", "--responses", "100"]) == 2
    assert "interactions" in capsys.readouterr().err
    assert not path.exists()


def test_the_stage_draw_without_the_matrix_is_the_matrix_draw_bit_for_bit():
    """`_pick_up_to` replaces `_pick_rows` on weights masked beyond each row's last option (1 GB at 10M rows)."""
    weights = np.array([0.07, 0.05, 0.07, 0.52, 0.22, 0.07])
    last = np.random.default_rng(1).integers(0, len(weights), 50_000)
    masked = weights * (np.arange(len(weights)) <= last[:, None])
    expected = demo._pick_rows(np.random.default_rng(5), masked)
    got = demo._pick_up_to(np.random.default_rng(5), weights, last)
    assert np.array_equal(got, expected)
    assert (got <= last).all() and len(np.unique(got)) == len(weights)
