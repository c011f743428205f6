"""Segments against the rest, the heatmap and key drivers, on tiny data built in each test."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from cx.analysis import metrics, narrative, segments, stats
from cx.analysis.filters import Filters
from cx.store import db
from tests.conftest import build_db

# The metric suite: every test here runs on DuckDB, PostgreSQL and Spark (tests/engines.py).
pytestmark = pytest.mark.usefixtures("engine")

PERIOD = Filters.build(date(2026, 4, 1), date(2026, 4, 30))


def test_each_segment_is_compared_with_the_sum_of_the_others():
    # NPS counts per region; the rest of Europe is North America + LATAM.
    frame = pd.DataFrame(
        {
            "period": pd.Timestamp("2026-04-01"),
            "group": ["Europe", "North America", "LATAM"],
            "n": [100, 100, 100],
            "promoters": [60, 40, 10],
            "detractors": [10, 20, 50],
            "top2": 0, "easy": 0, "total": 0.0, "total_sq": 0.0,
        }
    )  # fmt: skip
    table = segments.rest_comparison(frame, "nps").set_index("group")
    # Europe 60 - 10 = 50; rest: (50 - 70) / 200 = -10; LATAM 10 - 50 = -40, rest (100 - 30) / 200 = 35.
    assert table.loc["Europe", ["value", "rest_value", "difference"]].tolist() == pytest.approx([50, -10, 60])
    assert table.loc["LATAM", ["value", "rest_value"]].tolist() == pytest.approx([-40, 35])
    assert table.loc["LATAM", "direction"] == "worse" and table.loc["Europe", "direction"] == "better"
    assert list(table.index) == ["Europe", "North America", "LATAM"]  # best first
    # Significance is decided on Benjamini–Hochberg q-values across the three segments.
    assert list(table["q_value"]) == pytest.approx(stats.bh_adjusted(list(table["p_value"])))
    assert table.attrs["overall"] == pytest.approx(100 * (110 - 80) / 300)


def test_a_segment_with_too_few_answers_is_not_tested():
    frame = pd.DataFrame(
        {"period": pd.Timestamp("2026-04-01"), "group": ["Big", "Tiny"], "n": [200, 5], "top2": [100, 0],
         "promoters": 0, "detractors": 0, "easy": 0, "total": 0.0, "total_sq": 0.0}
    )  # fmt: skip
    table = segments.rest_comparison(frame, "csat").set_index("group")
    assert bool(table.loc["Tiny", "small"]) and pd.isna(table.loc["Tiny", "p_value"])
    assert not table.loc["Tiny", "significant"]
    assert list(table.index) == ["Big", "Tiny"]  # small samples last, whatever their value


def test_snapshot_churn_by_an_imported_attribute(db_file):
    customers = [{"customer_id": f"C{i}", "churned": i < 3} for i in range(8)]
    contract = [{"customer_id": f"C{i}", "attribute": "Contract", "value": "Monthly" if i < 4 else "Yearly"} for i in range(8)]  # fmt: skip
    build_db(db_file, customers=customers, attributes=contract)
    with db.reading(db_file) as backend:
        table = segments.versus_rest(backend, "churn_rate", PERIOD, "attr.Contract", min_n=1).set_index("group")
        coverage = segments.data_coverage(backend)
    # Monthly: 3 of 4 churned; Yearly: 0 of 4.
    assert table.loc["Monthly", ["value", "rest_value", "n"]].tolist() == [75.0, 0.0, 4]
    assert set(table["basis"]) == {"snapshot"}
    assert segments.metrics_with_data(coverage) == ["churn_rate", "retention_rate"]
    notes = segments.missing_data_notes(coverage)
    assert notes[0] == "No NPS, CSAT, CES survey answers in the data, so those scores cannot be compared."
    assert any("snapshot" in note for note in notes)


def test_response_time_segments_use_the_median_test_against_everyone(db_file):
    interactions = [
        {"interaction_id": f"{r}{i}", "customer_id": f"{r}{i}", "occurred_at": datetime(2026, 4, 5),
         "response_time_s": float(t)}
        for r, times in (("E", range(10, 50)), ("A", range(100, 140)))
        for i, t in enumerate(times)
    ]  # fmt: skip
    customers = [{"customer_id": row["customer_id"], "region": row["customer_id"][0]} for row in interactions]
    build_db(db_file, customers=customers, interactions=interactions)
    with db.reading(db_file) as backend:
        table = segments.versus_rest(backend, "first_response_time", PERIOD, "region").set_index("group")
    # E: 10..49 (median 29.5), A: 100..139 (median 119.5); every A is above the pooled median.
    assert table.loc["E", "value"] == 29.5
    assert table.loc["A", "direction"] == "worse" and table.loc["E", "direction"] == "better"


def test_heatmap_cells_say_n_too_small_instead_of_a_number():
    parts = [
        pd.DataFrame(
            {"group": ["Big", "Tiny"], "value": [40.0, 90.0], "n": [300, 4], "small": [False, True],
             "rest_value": [90.0, 40.0], "difference": [-50.0, 50.0], "q_value": [0.001, None],
             "direction": ["worse", None]}
        ).assign(metric="csat")
    ]  # fmt: skip
    frame = segments.heatmap_table(parts)
    assert frame["text"].tolist() == ["40%", "n too small"]
    assert narrative.heatmap_headline(frame, "Segment", {"csat": "CSAT"}) == (
        "Big is significantly worse than the rest on 1 metric: CSAT."
    )


def test_a_driver_is_an_effect_with_its_interval_and_ranks_on_its_lower_bound():
    # Customers satisfied at Billing (100 of them, NPS 40: 50 promoters, 10 detractors) against those who
    # were not (100, NPS 0: 30/30). A tiny touchpoint with a larger effect (NPS +60 on 10 vs 10) ranks below it.
    touchpoints = pd.DataFrame(
        {"touchpoint": ["Billing", "Billing", "Tiny", "Tiny"], "satisfied": [True, False, True, False],
         "n": [100, 100, 10, 10], "promoters": [50, 30, 8, 2], "detractors": [10, 30, 2, 2], "churned": [0] * 4}
    )  # fmt: skip
    levels = pd.DataFrame(
        {"attribute": ["plan", "plan"], "value": ["Premium", "Basic"], "n": [80, 120], "promoters": [40, 40],
         "detractors": [8, 32], "churned": [0, 0]}
    )  # fmt: skip
    table = segments.drivers_table(touchpoints, levels, "nps", min_n=5)
    billing = table.iloc[0]
    # Difference 40 points; SE √((0.6 − 0.4²)/100 + (0.6 − 0²)/100) = √0.0104 = 0.102 → ±1.96 × 10.2 = ±20.0.
    assert (billing.driver, billing.effect, billing.direction) == ("Billing", pytest.approx(40.0), "↑")
    assert (billing.ci_low, billing.ci_high) == (pytest.approx(20.01, abs=0.01), pytest.approx(59.99, abs=0.01))
    assert table.iloc[1].driver == "Tiny"  # +60, but its interval reaches much closer to zero
    premium = table[table["kind"] == "attribute"].iloc[0]
    # Premium NPS 40 (40/32/8 of 80) vs Basic 6.7 (40/48/32 of 120): +33 points; each value against the rest.
    assert (premium.label, premium.effect) == ("Plan: Premium", pytest.approx(100 * 32 / 80 - 100 * 8 / 120))
    assert len(table[table["kind"] == "attribute"]) == 1  # one line per attribute, its strongest value


def test_key_drivers_find_the_attribute_that_separates_churners(db_file):
    # 60 customers, 24 churned: 24 of the 30 on a Monthly contract (80%), none of the 30 Yearly ones.
    customers = [{"customer_id": f"C{i}", "churned": i % 10 < 4, "region": "EU" if i % 2 else "US"} for i in range(60)]
    contract = [
        {"customer_id": f"C{i}", "attribute": "Contract", "value": "Monthly" if i % 10 < 5 else "Yearly"}
        for i in range(60)
    ]
    build_db(db_file, customers=customers, attributes=contract)
    with db.reading(db_file) as backend:
        table = segments.drivers(backend, PERIOD, target="churn")
    top = table[table["kind"] == "attribute"].iloc[0]
    assert (top.driver, top.label, top.n_in, top.n_out, bool(top.significant)) == (
        "attr.Contract",
        "Contract: Monthly",
        30,
        30,
        True,
    )
    # +80 points; unpooled 95% half-width 1.96 × √(0.8 · 0.2 / 30) = 14.3 points.
    assert top.effect == pytest.approx(80.0)
    assert (top.ci_low, top.ci_high) == (pytest.approx(65.69, abs=0.01), pytest.approx(94.31, abs=0.01))
    region = table[table["driver"] == "region"].iloc[0]
    assert not region.significant  # EU and US churn alike
    assert narrative.drivers_headline(table, "churn") == (
        "Contract: Monthly goes with churn 80.0 pts higher than other customers (95% range 65.7–94.3, n = 30 vs 30) "
        "— a correlation, not proof of cause."
    )


def test_two_segments_over_time_keeps_only_the_two_chosen(db_file):
    responses = [
        {"response_id": f"R{i}", "customer_id": f"C{i % 3}", "responded_at": datetime(2026, 4, 1 + i), "survey": "csat",
         "score": 5}
        for i in range(9)
    ]  # fmt: skip
    customers = [{"customer_id": f"C{i}", "segment": s} for i, s in enumerate(["SMB", "Consumer", "Enterprise"])]
    build_db(db_file, customers=customers, responses=responses)
    with db.reading(db_file) as backend:
        frame = segments.two_over_time(backend, "csat", PERIOD, "segment", ("SMB", "Consumer"), "month")
    assert sorted(frame["group"]) == ["Consumer", "SMB"]
    assert frame["n"].tolist() == [3, 3] and frame["value"].tolist() == [100.0, 100.0]
    assert metrics.METRICS["csat"].format(frame["value"].iloc[0]) == "100%"


def test_two_segments_are_tested_against_each_other_over_the_whole_period():
    frame = pd.DataFrame(
        {
            "period": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-02-01", "2026-02-01"]),
            "group": ["Europe", "LATAM"] * 2,
            "value": [40.0, 10.0, 35.0, 20.0],
            "complete": [True, True, True, True],
        }
    )
    # Europe 60/30/30 of 120 (NPS 25) vs LATAM 30/30/60 of 120 (NPS -25): 50 points, SE √(2 · 0.6875/120) = 10.7,
    # so ±1.96 × 10.7 = ±21 points.
    europe, latam = stats.nps(60, 30, 30), stats.nps(30, 30, 60)
    test = stats.compare_nps(europe, latam)
    frame.attrs["pair"] = {
        "first": 25.0, "second": -25.0, "first_n": 120, "second_n": 120, "difference": test.difference,
        "margin": narrative.margin(test), "significant": test.significant, "p_value": test.p_value,
    }  # fmt: skip
    text = narrative.two_groups_headline(frame, metrics.METRICS["nps"], ("Europe", "LATAM"), "month", 59)
    assert text == (
        "Over these 59 days Europe's NPS is significantly higher than LATAM's: 25 (n = 120) against -25 (n = 120), "
        "+50 ± 21 pts. Latest full month (Feb 2026): Europe 35, LATAM 20."
    )
