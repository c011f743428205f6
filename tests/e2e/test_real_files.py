"""The real public exports in shared/data/real, imported by the command line, on every page."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from playwright.sync_api import Page

from tests.conftest import REAL_DATA
from tests.e2e.conftest import ROOT, Server, app_errors, screenshot, wait_for_app

pytestmark = pytest.mark.e2e
FILES = ["telco_customer_churn.csv", "customer_support_tickets.csv", "bank_churn_modelling.csv", "cdnow_sample.txt"]


@pytest.fixture(scope="module")
def real_server(tmp_path_factory):
    database = tmp_path_factory.mktemp("real") / "real.duckdb"
    result = subprocess.run(
        [sys.executable, "-m", "cx", "import", *[str(REAL_DATA / f) for f in FILES], "--db", str(database), "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert [r["rejected"] for r in json.loads(result.stdout)] == [0, 0, 0, 0]
    server = Server(database).start()
    yield server
    server.stop()


def test_overview_shows_the_snapshot_churn_of_the_real_customers(real_server, page: Page):
    page.goto(real_server.url)
    wait_for_app(page)
    assert app_errors(page) == []
    assert page.locator(".st-key-cx_demo_badge").count() == 0  # real data: no demo badge
    # Telco 1869 + bank 2037 churned of 17,043 customers.
    assert page.get_by_text(
        "Churn (snapshot) 22.9%: the data has no churn dates, so there is no earlier period to compare."
    ).is_visible()
    assert page.get_by_text("n = 17,043 customers").first.is_visible()
    screenshot(page, "real-overview")


def test_segments_by_the_contract_attribute_reproduce_the_published_churn(real_server, page: Page):
    page.goto(f"{real_server.url}/Segments?by=attr.Contract&metric=churn_rate")
    wait_for_app(page)
    assert app_errors(page) == []
    headline = page.locator("[class*='st-key-cx_headline_'] p").first.inner_text()
    assert "Month-to-month" in headline and "42.7%" in headline and "n = 3,875" in headline
    screenshot(page, "real-segments-contract")


def test_journey_and_trends_show_the_support_tickets(real_server, page: Page):
    page.goto(f"{real_server.url}/Journey?from=2020-01-01&to=2021-12-31")
    wait_for_app(page)
    assert app_errors(page) == []
    assert page.locator(".js-plotly-plot").count() >= 1
    screenshot(page, "real-journey")
    page.goto(f"{real_server.url}/Trends?metric=csat&grain=quarter&from=2020-01-01&to=2021-12-31")
    wait_for_app(page)
    assert app_errors(page) == []
    assert "CSAT" in page.locator("[class*='st-key-cx_headline_'] p").first.inner_text()
    screenshot(page, "real-trends-csat")
