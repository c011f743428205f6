"""Journey queries and their post-processing, on tiny databases built in each test."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from cx.analysis import journey
from cx.analysis.filters import Filters
from cx.store import db
from tests.conftest import build_db

# The metric suite: every test here runs on DuckDB, PostgreSQL and Spark (tests/engines.py).
pytestmark = pytest.mark.usefixtures("engine")

PERIOD = Filters.build(date(2026, 4, 1), date(2026, 4, 30))  # previous period: 2 – 31 March


def csat_answers(prefix: str, touchpoint: str, day: datetime, good: int, poor: int, channel: str = "Phone"):
    scores = [5] * good + [1] * poor
    return [
        {
            "response_id": f"{prefix}{i}",
            "customer_id": None,
            "responded_at": day,
            "survey": "csat",
            "score": s,
            "touchpoint": touchpoint,
            "channel": channel,
        }
        for i, s in enumerate(scores)
    ]


def test_a_touchpoint_whose_csat_collapsed_is_the_top_pain_point_and_flagged(db_file):
    interactions = [
        {"interaction_id": f"I{i}", "customer_id": "C1", "occurred_at": datetime(2026, 4, 10), "journey_stage": "support",
         "touchpoint": "Billing inquiry", "response_time_s": float(t)}
        for i, t in enumerate([100, 200, 300])
    ] + [{"interaction_id": "W1", "customer_id": "C1", "occurred_at": datetime(2026, 4, 11), "journey_stage": "usage",
          "touchpoint": "Web app"}]  # fmt: skip
    responses = (
        csat_answers("b", "Billing inquiry", datetime(2026, 4, 12), good=10, poor=30)  # 25%
        + csat_answers("p", "Billing inquiry", datetime(2026, 3, 12), good=36, poor=4)  # 90% before
        + csat_answers("w", "Web app", datetime(2026, 4, 12), good=32, poor=8)  # 80%
        + csat_answers("q", "Web app", datetime(2026, 3, 12), good=32, poor=8)  # 80% before
    )
    build_db(db_file, customers=[{"customer_id": "C1"}], interactions=interactions, responses=responses)
    with db.reading(db_file) as backend:
        table = journey.touchpoints(backend, PERIOD)

    billing = table.set_index("touchpoint").loc["Billing inquiry"]
    assert (billing.volume, billing.csat, billing.csat_n, billing.csat_previous) == (3, 25.0, 40, 90.0)
    assert billing.csat_change == pytest.approx(-65.0)
    assert billing.response_median_s == 200.0
    assert bool(billing.csat_dropped)
    assert not table.set_index("touchpoint").loc["Web app"].csat_dropped
    assert list(table["touchpoint"]) == ["Web app", "Billing inquiry"]  # journey order: usage before support
    assert journey.pain_points(table).iloc[0].touchpoint == "Billing inquiry"
    assert journey.pain_headline(table, 30) == (
        "Billing inquiry has the lowest CSAT (25.0%, n = 40) and fell 65.0 pts on the previous 30 days."
    )


def test_touchpoint_nps_counts_answers_of_the_customers_who_passed_through_it(db_file):
    build_db(
        db_file,
        customers=[{"customer_id": c} for c in ("A", "B", "C")],
        interactions=[
            {"interaction_id": "1", "customer_id": "A", "occurred_at": datetime(2026, 4, 2), "touchpoint": "Checkout"},
            {"interaction_id": "2", "customer_id": "B", "occurred_at": datetime(2026, 4, 2), "touchpoint": "Checkout"},
        ],
        responses=[
            {
                "response_id": "a",
                "customer_id": "A",
                "responded_at": datetime(2026, 4, 5),
                "survey": "nps",
                "score": 10,
            },
            {"response_id": "b", "customer_id": "B", "responded_at": datetime(2026, 4, 5), "survey": "nps", "score": 3},
            {
                "response_id": "b2",
                "customer_id": "B",
                "responded_at": datetime(2026, 4, 6),
                "survey": "nps",
                "score": 9,
            },
            {"response_id": "c", "customer_id": "C", "responded_at": datetime(2026, 4, 5), "survey": "nps", "score": 0},
        ],
    )
    with db.reading(db_file) as backend:
        row = journey.touchpoints(backend, PERIOD).iloc[0]
    # A: 10, B: 3 and 9 -> 2 promoters, 1 detractor of 3 answers; C never touched Checkout.
    assert (row.nps_n, row.nps) == (3, pytest.approx(100 * (2 - 1) / 3))


def test_the_funnel_counts_customers_reaching_each_stage_and_where_they_stopped(db_file):
    def event(i, customer, stage, day=datetime(2026, 4, 3)):
        return {"interaction_id": str(i), "customer_id": customer, "occurred_at": day, "journey_stage": stage}

    build_db(
        db_file,
        customers=[{"customer_id": c, "segment": "SMB" if c != "C" else "Enterprise"} for c in "ABC"],
        interactions=[
            event(1, "A", "awareness", datetime(2025, 12, 1)),  # before the period: still reached
            event(2, "A", "purchase"),
            event(3, "A", "onboarding"),
            event(4, "B", "awareness"),
            event(5, "B", "purchase"),
            event(6, "C", "awareness"),
            event(7, "C", "usage", datetime(2026, 6, 1)),  # after the period: not yet reached
        ],
    )
    with db.reading(db_file) as backend:
        flow = journey.stage_flow(backend, PERIOD)
        by_segment = journey.stage_flow(backend, PERIOD, by="segment")
    assert flow[["journey_stage", "reached", "stopped"]].values.tolist() == [
        ["awareness", 3, 1],
        ["purchase", 2, 1],
        ["onboarding", 1, 1],
    ]
    assert list(flow["share_of_top"].round(1)) == [100.0, 66.7, 33.3]
    assert journey.flow_headline(flow) == (
        "The biggest loss is between awareness and purchase: 3 → 2 customers (33% do not continue)."
    )
    smb = by_segment[by_segment["group"] == "SMB"]
    assert smb["reached"].tolist() == [2, 2, 1]


def test_a_channel_far_below_the_touchpoints_other_channels_is_flagged_worse():
    counts = pd.DataFrame(
        {
            "touchpoint": ["Billing inquiry", "Billing inquiry", "Checkout"],
            "channel": ["Phone", "Email", "Web"],
            "n": [40, 40, 50],
            "top2": [10, 36, 40],
            "total": [0.0, 0.0, 0.0],
        }
    )
    table = journey.channel_table(counts).set_index(["touchpoint", "channel"])
    phone = table.loc[("Billing inquiry", "Phone")]
    assert (phone.csat, phone.other_channels_csat, phone.difference) == (25.0, 90.0, pytest.approx(-65.0))
    assert bool(phone.worse)
    assert not table.loc[("Billing inquiry", "Email")].worse  # better, not worse
    assert pd.isna(table.loc[("Checkout", "Web")].p_value)  # a single channel has nothing to differ from
    assert journey.channel_headline(table.reset_index()) == (
        "Billing inquiry by Phone scores 25.0% CSAT (n = 40), 65.0 pts below its other channels."
    )


def test_churn_and_revenue_in_the_90_days_after_an_answer_by_experience(db_file):
    answered = datetime(2026, 4, 10, 12)
    customers = [
        {"customer_id": "D1", "churned": True, "churn_date": date(2026, 5, 10)},  # detractor, churned after 30 days
        {"customer_id": "D2"},
        {"customer_id": "P1"},
        {"customer_id": "P2", "churned": True, "churn_date": date(2026, 9, 1)},  # churned after the 90 days
        {"customer_id": "X", "churned": True, "churn_date": date(2026, 4, 1)},  # gone before answering
    ]
    scores = {"D1": 2, "D2": 6, "P1": 9, "P2": 10, "X": 0}
    responses = [
        {"response_id": c, "customer_id": c, "responded_at": answered, "survey": "nps", "score": s}
        for c, s in scores.items()
    ] + [
        {
            "response_id": "old",
            "customer_id": "P1",
            "responded_at": answered - timedelta(days=3),
            "survey": "nps",
            "score": 0,
        }
    ]  # fmt: skip   (P1's earlier answer: only the latest counts)
    interactions = [
        {"interaction_id": "r1", "customer_id": "P1", "occurred_at": answered + timedelta(days=10), "revenue": 100.0},
        {"interaction_id": "r2", "customer_id": "P1", "occurred_at": answered + timedelta(days=95), "revenue": 999.0},
        {"interaction_id": "r3", "customer_id": "D2", "occurred_at": answered + timedelta(days=1), "revenue": 40.0},
        {"interaction_id": "r4", "customer_id": "D2", "occurred_at": answered - timedelta(days=1), "revenue": 500.0},
        {"interaction_id": "end", "customer_id": None, "occurred_at": datetime(2026, 11, 1)},  # data runs to Nov
    ]
    build_db(db_file, customers=customers, interactions=interactions, responses=responses)
    with db.reading(db_file) as backend:
        counts = journey.experience_outcomes(backend, PERIOD)
    table = journey.outcome_table(counts, min_n=1).set_index("experience")
    assert table.loc["Detractors", ["customers", "churned"]].tolist() == [2, 1]
    assert table.loc["Detractors", "churn_rate"] == 50.0
    assert table.loc["Detractors", "revenue_per_customer"] == 20.0  # (0 + 40) / 2
    assert table.loc["Promoters", ["customers", "churned"]].tolist() == [2, 0]
    assert table.loc["Promoters", "revenue_per_customer"] == 50.0  # (100 + 0) / 2
    assert "Passives" not in table.index


def test_recent_answers_wait_for_their_follow_up_window():
    window = journey.OutcomeWindow(data_end=date(2026, 11, 23), last_response_day=date(2026, 8, 25))
    recent = Filters.build(date(2026, 9, 1), date(2026, 11, 23))
    shifted = journey.outcome_period(recent, window)
    assert (shifted.start, shifted.end, shifted.days) == (date(2026, 6, 3), date(2026, 8, 25), 84)
    assert journey.outcome_period(PERIOD, window) == PERIOD


def test_the_gap_between_detractors_and_promoters_is_expressed_as_customers_at_risk():
    counts = pd.DataFrame(
        {
            "survey": ["nps", "nps", "nps"],
            "experience": ["Detractors", "Passives", "Promoters"],
            "customers": [200, 100, 300],
            "churned": [40, 5, 6],  # 20% vs 2%
            "revenue_total": [2000.0, 1000.0, 3000.0],
            "revenue_total_sq": [40000.0, 20000.0, 60000.0],
        }
    )
    table = journey.outcome_table(counts)
    gap = journey.outcome_gap(table, "nps")
    assert gap.significant
    assert gap.churn_difference == pytest.approx(18.0)
    assert gap.customers_at_risk == pytest.approx(36.0)  # 200 detractors × 18 points
    assert gap.revenue_at_risk is None  # same revenue per customer: no revenue gap
    assert journey.outcome_headline(table, "nps") == (
        "Detractors churned at 20.0% within 90 days vs 2.0% for promoters: about 36 customers at risk."
    )
