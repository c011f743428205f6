"""Segments page under streamlit.testing.v1.AppTest, on small databases built here."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import headlines, open_page
from tests.conftest import build_db

PERIOD = {"from": "2026-03-01", "to": "2026-03-31"}
REGIONS = ("Europe", "LATAM")


def survey_database(path: Path) -> Path:
    """120 customers: Europe answers NPS 10, LATAM 3; a Contract attribute; CSAT at two touchpoints."""
    customers, responses, interactions, attributes = [], [], [], []
    for i in range(120):
        customer, region = f"C{i:03d}", REGIONS[i % 2]
        customers.append(
            {"customer_id": customer, "segment": "SMB" if i % 3 else "Enterprise", "region": region,
             "signup_date": date(2025, 1, 1)}
        )  # fmt: skip
        attributes.append(
            {"customer_id": customer, "attribute": "Contract", "value": "Monthly" if i < 60 else "Yearly"}
        )
        for month in (2, 3):
            responses.append(
                {"response_id": f"{customer}-{month}", "customer_id": customer, "survey": "nps",
                 "responded_at": datetime(2026, month, 1 + i % 27), "score": 10 if region == "Europe" else 3}
            )  # fmt: skip
        responses.append(
            {"response_id": f"{customer}-c", "customer_id": customer, "survey": "csat",
             "responded_at": datetime(2026, 3, 2), "score": 5 if region == "Europe" else 2, "touchpoint": "Checkout"}
        )  # fmt: skip
        interactions.append(
            {"interaction_id": customer, "customer_id": customer, "occurred_at": datetime(2026, 3, 2),
             "touchpoint": "Checkout", "response_time_s": 60.0, "revenue": 10.0}
        )  # fmt: skip
    return build_db(path, customers=customers, responses=responses, interactions=interactions, attributes=attributes)


def snapshot_database(path: Path) -> Path:
    """Like an imported Telco file: customers with a churned flag and a Contract, nothing else."""
    customers = [{"customer_id": f"T{i}", "churned": i % 10 < (7 if i < 50 else 1)} for i in range(100)]
    contract = [
        {"customer_id": f"T{i}", "attribute": "Contract", "value": "Month-to-month" if i < 50 else "Two year"}
        for i in range(100)
    ]
    return build_db(path, customers=customers, attributes=contract)


@pytest.fixture(scope="module")
def databases(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("segments")
    return {"surveys": survey_database(folder / "surveys.duckdb"), "snapshot": snapshot_database(folder / "t.duckdb")}


@pytest.fixture
def use_db(databases, use_database):
    return lambda name: use_database(databases[name])


def segments_page(**params: str) -> AppTest:
    return open_page("pages/3_Segments.py", {**PERIOD, **params})


def chart(at: AppTest, key: str) -> str:
    return next(c.proto.spec for c in at.get("plotly_chart") if key in c.proto.id)


def test_segments_page_compares_regions_on_nps_with_every_section(use_db):
    use_db("surveys")
    at = segments_page(by="region", metric="nps")
    assert not at.exception
    text = " ".join(headlines(at))
    # LATAM: 60 answers of 3 -> NPS -100; Europe: 60 answers of 10 -> +100.
    assert "LATAM is significantly worse on NPS: -100 (n = 60) vs 100 for the rest" in text
    for key in ("segment_bars", "segment_heatmap", "segment_trend", "drivers_attribute_chart"):
        assert chart(at, key)
    assert "not proof of cause" in text
    charts = len(at.get("plotly_chart"))  # the bars, the heatmap, the two groups, two lists of drivers
    assert charts == 5 and len(at.get("download_button")) == charts  # each chart with its data


def test_choosing_another_attribute_changes_the_comparison(use_db):
    use_db("surveys")
    at = segments_page(by="region", metric="nps")
    before = chart(at, "segment_bars")
    at.selectbox(key="seg_by").set_value("attr.Contract").run()
    assert not at.exception
    assert at.query_params["by"] == "attr.Contract"
    after = chart(at, "segment_bars")
    assert after != before and "Monthly" in after and "Yearly" in after


def test_a_drill_into_one_region_shows_it_against_the_other_regions(use_db):
    use_db("surveys")
    at = segments_page(by="region", metric="nps", region="Europe")
    assert not at.exception
    text = " ".join(headlines(at))
    # Never Europe against itself: Europe +100 (n = 60) against LATAM's -100.
    assert "Europe: NPS 100 (n = 60) vs -100 for the other regions, significantly higher" in text
    assert "Every region" in [b.label for b in at.button]
    spec = chart(at, "segment_bars")
    assert "LATAM" in spec and "Europe" in spec


def test_a_snapshot_file_shows_churn_by_its_own_attribute_and_says_what_is_missing(use_db):
    use_db("snapshot")
    at = segments_page(by="attr.Contract")
    assert not at.exception
    notes = " ".join(i.value for i in at.info)
    assert "No NPS, CSAT, CES survey answers" in notes
    assert "churn is a snapshot" in notes
    assert "cannot be followed over time" in notes
    assert at.selectbox(key="seg_metric").value == "churn_rate"
    text = " ".join(headlines(at))
    # Month-to-month: 35 of 50 churned (70.0%); Two year: 5 of 50 (10.0%).
    assert "Month-to-month is significantly worse on Churn (snapshot): 70.0%" in text
    assert "Contract: Month-to-month goes with churn 60.0 pts higher than other customers" in text
