"""Journey queries and their post-processing, on tiny databases built in each test."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from cx.analysis import journey, narrative
from cx.analysis.filters import Filters
from cx.analysis.metrics import METRICS
from cx.store import db
from tests.conftest import build_db, nps_only_db

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
        table = journey.touchpoints(backend, PERIOD, "csat")

    billing = table.set_index("touchpoint").loc["Billing inquiry"]
    assert (billing.volume, billing.value, billing.n, billing.previous) == (3, 25.0, 40, 90.0)
    assert billing.change == pytest.approx(-65.0)
    assert billing.response_median_s == 200.0
    assert billing.direction == "worse"
    assert pd.isna(table.set_index("touchpoint").loc["Web app"].direction)
    assert list(table["touchpoint"]) == ["Web app", "Billing inquiry"]  # journey order: usage before support
    assert journey.pain_points(table).iloc[0].touchpoint == "Billing inquiry"
    assert narrative.pain_headline(table, METRICS["csat"], 30) == (
        "Billing inquiry has the lowest CSAT (25%, n = 40) and fell 65.0 pts on the previous 30 days."
    )


def test_on_nps_only_data_touchpoints_rank_on_nps(db_file):
    nps_only_db(db_file)  # NPS answers name the touchpoint; no CSAT, no interactions
    with db.reading(db_file) as backend:
        available = journey.rankable(backend, PERIOD)
        table = journey.touchpoints(backend, PERIOD, journey.default_metric(available))
    assert available == {"nps": 80}
    assert table.set_index("touchpoint")["value"].to_dict() == {"Checkout": 100.0, "Delivery": -25.0}
    assert journey.can_rank(table)
    assert narrative.pain_headline(table, METRICS["nps"], 30).startswith(
        "Delivery has the lowest NPS (-25, n = 40); no touchpoint got significantly worse"
    )


def test_when_no_answer_names_a_touchpoint_nothing_is_ranked(db_file):
    build_db(db_file, responses=csat_answers("x", None, datetime(2026, 4, 3), good=40, poor=10))
    with db.reading(db_file) as backend:
        assert journey.rankable(backend, PERIOD) == {}
        table = journey.touchpoints(backend, PERIOD, "csat")
    assert not journey.can_rank(table)
    assert narrative.pain_headline(table, METRICS["csat"], 30) == (
        "No CSAT answers name a touchpoint in this period, so touchpoints cannot be ranked."
    )


def test_too_few_answers_per_touchpoint_is_one_sentence_and_no_ranking():
    small = pd.DataFrame(
        {"touchpoint": ["A", "B"], "value": [50.0, 80.0], "n": [12, 9], "small": [True, True], "volume": [0, 0],
         "direction": [None, None], "change": [None, None]}
    )  # fmt: skip
    assert not journey.can_rank(small)
    assert narrative.pain_headline(small, METRICS["csat"], 30).startswith("Too few CSAT answers per touchpoint")


def test_a_one_month_collapse_is_flagged_without_anyone_looking_for_it(db_file):
    # Twelve months of CSAT 80% at two touchpoints (50 answers a month); Billing falls to 20% in July 2026.
    responses = []
    for month in range(1, 13):
        day = datetime(2026, month, 10)
        billing_good = 10 if month == 7 else 40
        responses += csat_answers(f"b{month}-", "Billing", day, good=billing_good, poor=50 - billing_good)
        responses += csat_answers(f"w{month}-", "Web", day, good=40, poor=10)
    build_db(db_file, responses=responses)
    with db.reading(db_file) as backend:
        shifts = journey.touchpoint_shifts(backend, Filters.build(date(2026, 10, 1), date(2026, 12, 31)))
    assert shifts[["metric", "touchpoint", "period"]].values.tolist()[0] == [
        "csat",
        "Billing",
        pd.Timestamp("2026-07-01"),
    ]
    assert shifts.iloc[0].difference == pytest.approx(-60.0)
    assert "Web" not in set(shifts["touchpoint"])
    lead, lines = narrative.shift_lines(shifts, METRICS)
    assert lines[0] == (
        "Billing: CSAT fell to 20% in Jul 2026, 60.0 pts below its level of the months before (80%), n = 50."
    )


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
    assert narrative.flow_headline(flow) == (
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
    assert narrative.channel_headline(table.reset_index()) == (
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


def test_the_gap_is_measured_like_with_like_within_segment_and_plan():
    # Enterprise churns more whatever the experience and has most of the detractors. Pooled, detractors churn
    # 16.7% (30/180) against 7.0% (14/200); within each stratum the gap is 5 points:
    # Enterprise 20% (30/150) vs 15% (6/40), SMB 0% (0/30) vs 5% (8/160)... so only Enterprise shows excess churn.
    counts = pd.DataFrame(
        {
            "survey": ["nps"] * 4,
            "experience": ["Detractors", "Promoters", "Detractors", "Promoters"],
            "segment": ["Enterprise", "Enterprise", "SMB", "SMB"],
            "plan": ["Pro"] * 4,
            "customers": [150, 40, 30, 160],
            "churned": [30, 6, 0, 8],
            "revenue_total": [0.0, 4000.0, 0.0, 8000.0],  # 100 per Enterprise promoter, 50 per SMB promoter
            "revenue_total_sq": [0.0, 4000.0 * 100, 0.0, 8000.0 * 50],
        }
    )
    table = journey.outcome_table(counts, min_n=1)
    assert table.set_index("experience").loc["Detractors", ["customers", "churned"]].tolist() == [180, 30]
    gap = journey.outcome_gap(table, "nps", min_n=1)
    # Excess: Enterprise 150 × (0.20 − 0.15) = 7.5, SMB 30 × (0 − 0.05) = −1.5 → 6 customers.
    assert gap.customers_at_risk is None or gap.customers_at_risk == pytest.approx(6.0)
    # Variance: 150² (0.2·0.8/150 + 0.15·0.85/40) + 30² (0 + 0.05·0.95/160) = 95.99 → ±19.2: not significant.
    assert not gap.significant
    assert narrative.outcome_headline(gap, "nps", 90) == (
        "Detractors churned at 16.7% within 90 days vs 7.0% for promoters of the same segment and plan: "
        "not a significant difference."
    )


def test_a_real_gap_is_a_range_of_customers_and_revenue_and_says_it_is_an_association():
    counts = pd.DataFrame(
        {
            "survey": ["nps", "nps"], "experience": ["Detractors", "Promoters"], "segment": ["SMB", "SMB"],
            "plan": ["Pro", "Pro"], "customers": [200, 300], "churned": [40, 6],  # 20% vs 2%
            "revenue_total": [2000.0, 3000.0], "revenue_total_sq": [40000.0, 60000.0],
        }
    )  # fmt: skip
    gap = journey.outcome_gap(journey.outcome_table(counts), "nps")
    assert gap.significant
    assert gap.customers_at_risk == pytest.approx(36.0)  # 200 detractors × 18 points
    # ±1.96 √(200² (0.2·0.8/200 + 0.02·0.98/300)) = ±1.96 × 5.88 = ±11.5 → 24.5–47.5 customers.
    assert (gap.customers_low, gap.customers_high) == (pytest.approx(24.47, abs=0.01), pytest.approx(47.53, abs=0.01))
    assert gap.revenue_at_risk == pytest.approx(360.0)  # 36 customers × $10 a promoter brought in 90 days
    # Revenue variance 10² × 34.6 + 36² × (60000/300 − 10²)/300 = 3,893 → ±1.96 × 62.4 = ±122 → $238–$482.
    assert (gap.revenue_low, gap.revenue_high) == (pytest.approx(237.7, abs=0.1), pytest.approx(482.3, abs=0.1))
    assert narrative.outcome_headline(gap, "nps", 90) == (
        "Detractors churned at 20.0% within 90 days vs 2.0% for promoters of the same segment and plan: about 24–48 "
        "customers and $240–$480 of 90-day revenue lost beyond what like customers with a good experience lost — "
        "an association, not proof of cause."
    )


def test_channels_with_the_same_csat_come_in_the_same_order_whatever_order_the_engine_returned():
    counts = pd.DataFrame({"touchpoint": ["Billing"] * 3, "channel": ["Web", "Mobile app", "Email"],
                           "n": [40, 40, 50], "top2": [30, 30, 20]})  # fmt: skip
    first = journey.channel_table(counts)
    second = journey.channel_table(counts.iloc[::-1].reset_index(drop=True))
    assert list(first["channel"]) == list(second["channel"]) == ["Email", "Mobile app", "Web"]
