"""Journey page under streamlit.testing.v1.AppTest, on a small database built here."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import headlines, open_page
from tests.conftest import build_db

PERIOD = {"from": "2026-03-01", "to": "2026-03-31"}


def journey_database(path: Path) -> Path:
    """40 customers; SMB customers have a bad time at Billing inquiry, Enterprise a good one."""
    customers, interactions, responses = [], [], []
    for i in range(40):
        customer = f"C{i:02d}"
        smb = i % 2 == 0
        customers.append(
            {"customer_id": customer, "segment": "SMB" if smb else "Enterprise", "signup_date": date(2025, 1, 1),
             "churned": smb and i % 4 == 0, "churn_date": date(2026, 4, 15) if smb and i % 4 == 0 else None}
        )  # fmt: skip
        for k, (stage, touchpoint, channel) in enumerate(
            [("purchase", "Checkout", "Web"), ("usage", "Web app", "Web"), ("support", "Billing inquiry", "Phone")]
        ):
            when = datetime(2026, 3, 2 + k, 10)
            interactions.append(
                {"interaction_id": f"{customer}-{k}", "customer_id": customer, "occurred_at": when,
                 "journey_stage": stage, "touchpoint": touchpoint, "channel": channel, "revenue": 100.0,
                 "response_time_s": 60.0 * (k + 1)}
            )  # fmt: skip
            score = 1 if smb and touchpoint == "Billing inquiry" else 5
            responses.append(
                {"response_id": f"{customer}-c{k}", "customer_id": customer, "responded_at": when, "survey": "csat",
                 "score": score, "touchpoint": touchpoint, "channel": channel, "journey_stage": stage}
            )  # fmt: skip
        responses.append(
            {"response_id": f"{customer}-n", "customer_id": customer, "responded_at": datetime(2026, 3, 20),
             "survey": "nps", "score": 2 if smb else 10}
        )  # fmt: skip
    # Data runs into the autumn, so March answers have 90 days of follow-up.
    interactions.append(
        {"interaction_id": "late", "customer_id": "C01", "occurred_at": datetime(2026, 10, 1), "touchpoint": "Web app"}
    )
    return build_db(path, customers=customers, interactions=interactions, responses=responses)


@pytest.fixture(scope="module")
def journey_db(tmp_path_factory) -> Path:
    return journey_database(tmp_path_factory.mktemp("journey") / "cx.duckdb")


@pytest.fixture
def app_db(journey_db, use_database) -> Path:
    return use_database(journey_db)


def journey_page(**params: str) -> AppTest:
    return open_page("pages/2_Journey.py", {**PERIOD, **params})


def chart_keys(at: AppTest) -> list[str]:
    return [chart.proto.id for chart in at.get("plotly_chart")]


def test_journey_page_shows_every_section_with_a_headline_and_a_chart(app_db):
    at = journey_page()
    assert not at.exception
    for key in ("pain_points_chart_csat", "volume_chart", "flow_chart", "channel_chart", "outcome_nps_chart"):
        assert any(key in chart_id for chart_id in chart_keys(at)), key
    assert [h.value for h in at.subheader] == [
        "Pain points", "Flow through the journey", "Channel consistency", "Experience → outcome"
    ]  # fmt: skip
    text = " ".join(headlines(at))
    # Billing inquiry: 20 Enterprise answers of 5 and 20 SMB answers of 1 -> 50.0% of 40.
    assert "Billing inquiry has the lowest CSAT (50%, n = 40)" in text
    # The 20 detractors are all SMB, the 20 promoters all Enterprise: no like-with-like pair, so no gap is claimed.
    assert (
        "Too few customers in Detractors and Promoters of the same segment and plan with 90 days of follow-up"
    ) in text
    assert len(at.get("download_button")) >= 5
    # The bars' colours are explained, blue included (a significantly better touchpoint is blue).
    notes = " ".join(m.value for m in at.markdown)
    assert "Red: CSAT got significantly worse" in notes and "blue: significantly better" in notes


def test_a_segment_filter_changes_the_pain_points(app_db):
    at = journey_page(segment="SMB")
    assert not at.exception
    # SMB customers all rated Billing inquiry 1: 0% of 20 answers, below the minimum sample of 30.
    assert any("Too few CSAT answers per touchpoint" in h for h in headlines(at))
    at = journey_page(segment="Enterprise")
    assert not any("Billing inquiry has the lowest CSAT" in h for h in headlines(at))


def test_recent_periods_borrow_the_latest_period_with_a_complete_follow_up(app_db):
    at = journey_page(**{"from": "2026-09-03", "to": "2026-10-01"})
    assert not at.exception
    assert any("too recent to see 90 days" in c.value for c in at.caption)


def test_flow_can_be_split_by_segment_from_the_url(app_db):
    at = journey_page(flow_by="segment")
    assert not at.exception
    spec = next(c.proto.spec for c in at.get("plotly_chart") if "flow_chart" in c.proto.id)
    assert '"name":"SMB"' in spec and '"name":"Enterprise"' in spec
    assert at.query_params["flow_by"] == ["segment"] or at.query_params["flow_by"] == "segment"


def test_the_page_says_so_when_the_period_has_no_interactions(app_db):
    at = journey_page(**{"from": "2024-01-01", "to": "2024-01-31"})
    assert not at.exception
    assert any("No survey answer in this period names a touchpoint" in i.value for i in at.info)
    assert not at.get("plotly_chart")  # nothing to draw: sentences only, never empty axes


def test_a_touchpoint_drill_shows_it_against_the_other_touchpoints(app_db):
    at = journey_page(touchpoint="Billing inquiry")
    assert not at.exception
    text = " ".join(headlines(at))
    # Billing inquiry 20 of 40 (50%) against Checkout and Web app 80 of 80 (100%).
    assert "Billing inquiry: CSAT 50% (n = 40) vs 100% for the other touchpoints, significantly lower" in text
    assert "Pain points" not in [h.value for h in at.subheader]  # not a ranking of one
    trend = next(c.proto.spec for c in at.get("plotly_chart") if "focus_trend_chart" in c.proto.id)
    assert '"name":"Billing inquiry"' in trend and '"name":"Other touchpoints"' in trend

    back = next(b for b in at.button if b.label == "All touchpoints")
    back.click().run()
    assert not at.exception
    assert "touchpoint" not in at.query_params
    assert "Pain points" in [h.value for h in at.subheader]


def test_the_touchpoint_table_gives_times_in_minutes_as_the_tiles_do(app_db):
    at = journey_page()
    table = next(d.value for d in at.dataframe if "touchpoint" in d.value.columns)
    assert "response_median_s" not in table.columns
    minutes = dict(zip(table["touchpoint"], table["First response (median, minutes)"], strict=True))
    assert minutes == {"Checkout": 1.0, "Web app": 2.0, "Billing inquiry": 3.0}  # 60, 120 and 180 seconds
