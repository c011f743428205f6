"""Segments against the rest, the heatmap and key drivers, on tiny data built in each test."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from cx.analysis import metrics, segments, stats
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
    assert (
        segments.heatmap_headline(frame, "Segment")
        == "Big is significantly worse than the rest on 1 of the metrics: CSAT."
    )


def test_correlation_and_variance_between_groups_from_sums():
    x, y = [1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 5.0, 9.0]
    r = segments.correlation(4, sum(x), sum(y), sum(v * v for v in x), sum(v * v for v in y), sum(a * b for a, b in zip(x, y, strict=True)))  # fmt: skip
    # Sxy = Σxy - ΣxΣy/n = 61 - 50 = 11; Sxx = 30 - 25 = 5; Syy = 126 - 100 = 26; r = 11 / sqrt(5 · 26).
    assert r == pytest.approx(11 / (5 * 26) ** 0.5)
    groups = pd.DataFrame({"n": [2, 2], "total": [2.0, 10.0], "total_sq": [4.0, 52.0]})  # y = [0, 2] and [4, 6]
    epsilon_sq, p_value, n = segments.between_groups(groups)
    # SS_between = 2·(1-3)² + 2·(5-3)² = 16; SS_within = 2 + 2 = 4; epsilon² = (16 - 1·4/2) / 20 = 0.7.
    assert (epsilon_sq, n) == (pytest.approx(0.7), 4)
    # F = 16 / (4 / 2) = 8 on (1, 2) df, i.e. t = √8 on 2 df, whose two-sided p is 1 - t / √(t² + 2).
    assert p_value == pytest.approx(1 - (8 / 10) ** 0.5)


def test_key_drivers_rank_the_attribute_that_separates_churners_first(db_file):
    customers = [{"customer_id": f"C{i}", "churned": i % 10 < 4, "region": "EU" if i % 2 else "US"} for i in range(60)]
    contract = [
        {"customer_id": f"C{i}", "attribute": "Contract", "value": "Monthly" if i % 10 < 5 else "Yearly"}
        for i in range(60)
    ]
    build_db(db_file, customers=customers, attributes=contract)
    with db.reading(db_file) as backend:
        table = segments.drivers(backend, PERIOD, target="churn")
    top = table.iloc[0]
    assert (top.driver, top.kind, top.n, bool(top.significant)) == ("attr.Contract", "Customer attribute", 60, True)
    assert "region" in set(table["driver"])
    assert segments.drivers_headline(table, "churn").startswith("Contract goes most with churn")
    assert "not proof of cause" in segments.drivers_headline(table, "churn")


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


def test_the_two_segment_headline_counts_the_periods_each_was_ahead():
    frame = pd.DataFrame(
        {
            "period": pd.to_datetime(
                ["2026-01-01", "2026-01-01", "2026-02-01", "2026-02-01", "2026-03-01", "2026-03-01"]
            ),
            "group": ["Europe", "LATAM"] * 3,
            "value": [40.0, 10.0, 35.0, 20.0, 30.0, 50.0],
            "small": [False, False, False, False, False, True],  # LATAM's March is too small to count
        }
    )
    text = segments.two_over_time_headline(frame, metrics.METRICS["nps"], ("Europe", "LATAM"), "month")
    assert (
        text
        == "Europe was ahead of LATAM on NPS in 2 of 2 months with enough answers; latest (Feb 2026): Europe 35, LATAM 20."
    )
