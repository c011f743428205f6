"""In the browser: drill-downs compare an item with the rest, Journey ranks on the metric the data has,
and no page draws an empty chart on any database the suite builds (the real files included)."""

from __future__ import annotations

import json
import subprocess
import sys
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page

from tests.conftest import REAL_DATA, build_db, nps_only_db, one_day_last_week_db
from tests.e2e.conftest import ROOT, Server, app_errors, screenshot, wait_for_app

pytestmark = pytest.mark.e2e

# Plotly keeps numeric arrays as typed arrays or {dtype, bdata, _inputArray}: read them all as plain lists.
VALUES = """const values = v => v == null ? [] : (Array.isArray(v) || ArrayBuffer.isView(v)) ? Array.from(v).flat()
  : (v._inputArray !== undefined ? values(v._inputArray) : []);"""
# A plot is empty when no trace has a single point to draw (an x/y pair or a heatmap cell).
EMPTY_PLOTS = (
    "() => { "
    + VALUES
    + """ return Array.from(document.querySelectorAll('.js-plotly-plot')).filter(plot => !(plot.data || []).some(t => {
    const ok = v => v !== null && v !== undefined && !(typeof v === 'number' && Number.isNaN(v));
    if (t.z !== undefined) return values(t.z).some(ok);
    const x = values(t.x), y = values(t.y);
    return y.some((v, i) => ok(v) && ok(x[i]));
  })).length; }"""
)


def plot_traces(page: Page, index: int) -> list[dict]:
    page.wait_for_function(
        "(i) => document.querySelectorAll('.js-plotly-plot')[i]?.data?.length", arg=index, timeout=30_000
    )
    return page.evaluate(
        "(i) => { " + VALUES + " return Array.from(document.querySelectorAll('.js-plotly-plot'))[i].data"
        ".map(t => ({name: t.name, y: values(t.y), x: values(t.x)})); }",
        index,
    )


def click_until(page: Page, target, in_url: str, tries: int = 3) -> None:
    """Click a chart element until the URL shows the drill (Plotly may still be wiring its handlers)."""
    for _ in range(tries):
        target.click(force=True)
        try:
            page.wait_for_function("(s) => window.location.search.includes(s)", arg=in_url, timeout=15_000)
            return
        except Exception:  # noqa: BLE001 - Playwright's TimeoutError: click again
            page.wait_for_timeout(1000)
    raise AssertionError(f"clicking never put {in_url!r} in the URL ({page.url})")


def test_a_touchpoint_drill_shows_it_against_the_other_touchpoints_with_a_back_link(server: Server, page: Page):
    page.goto(f"{server.url}/Journey")
    wait_for_app(page)
    chart = page.locator(".js-plotly-plot").first
    chart.locator(".barlayer .point path").first.wait_for(timeout=30_000)
    touchpoints = plot_traces(page, 0)[0]["y"]
    worst = touchpoints[-1]  # plotly draws the first row at the bottom: the worst is on top
    click_until(page, chart.locator(".barlayer .point path").nth(len(touchpoints) - 1), "touchpoint=")
    wait_for_app(page)
    assert parse_qs(urlparse(page.url).query)["touchpoint"] == [worst]
    main = page.locator("[data-testid='stMain']")
    main.get_by_text(f"{worst} against the other touchpoints").wait_for(timeout=30_000)  # the rerun may still draw
    wait_for_app(page)
    headline = page.locator("[class*='st-key-cx_headline_'] p").first.inner_text()
    assert headline.startswith(f"{worst}: ") and "for the other touchpoints" in headline
    assert main.locator("[class*='st-key-cx_focus_chip']").inner_text().endswith(worst)
    names = {t["name"] for t in plot_traces(page, 0)}
    assert {worst, "Other touchpoints"} <= names  # its trend beside the others, never beside itself
    assert app_errors(page) == []
    screenshot(page, "journey-touchpoint-focus")

    main.get_by_role("button", name="All touchpoints").click()
    page.wait_for_function("() => !window.location.search.includes('touchpoint=')", timeout=30_000)
    wait_for_app(page)
    main.get_by_role("heading", name="Pain points").wait_for(timeout=30_000)


def test_journey_on_an_nps_only_database_ranks_touchpoints_on_nps(tmp_path, page: Page):
    server = Server(nps_only_db(tmp_path / "nps.duckdb")).start()
    try:
        page.goto(f"{server.url}/Journey?from=2026-04-01&to=2026-04-30")
        wait_for_app(page)
        assert app_errors(page) == []
        headline = page.locator("[class*='st-key-cx_headline_'] p").first.inner_text()
        assert headline.startswith("Delivery has the lowest NPS (-25, n = 40)")
        bars = plot_traces(page, 0)[0]
        assert bars["y"][-1] == "Delivery" and bars["x"][-1] == -25
        assert page.evaluate(EMPTY_PLOTS) == 0
        screenshot(page, "journey-nps-only")
    finally:
        server.stop()


@pytest.fixture(scope="module")
def databases(tmp_path_factory, demo_db):
    """Every kind of database the suite builds: demo, real files, NPS-only, one-day last week, empty."""
    folder = tmp_path_factory.mktemp("every")
    real = folder / "real.duckdb"
    files = [REAL_DATA / f for f in ("telco_customer_churn.csv", "customer_support_tickets.csv",
             "bank_churn_modelling.csv", "cdnow_sample.txt", "survey_carpentries_instructor_post.csv",
             "servicerequests_la311_2017-12.csv")]  # fmt: skip
    result = subprocess.run([sys.executable, "-m", "cx", "import", *map(str, files), "--db", str(real), "--json"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)
    return {
        "demo": demo_db,
        "real": real,
        "nps-only": nps_only_db(folder / "nps.duckdb"),
        "one-day-week": one_day_last_week_db(folder / "one-day.duckdb"),
        "empty": build_db(folder / "empty.duckdb"),
    }


VIEWS = [
    "",
    "Trends",
    "Trends?metric=csat&grain=month&split=touchpoint",
    "Trends?metric=churn_rate&grain=month",
    "Journey",
    "Journey?touchpoint=Billing+inquiry",
    "Segments",
    "Segments?by=segment&metric=nps&segment=SMB",
]


@pytest.mark.parametrize("name", ["demo", "real", "nps-only", "one-day-week", "empty"])
def test_no_page_draws_an_empty_chart(databases, browser, name):
    server = Server(databases[name]).start()
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    try:
        for view in VIEWS:
            page.goto(f"{server.url}/{view}")
            wait_for_app(page)
            page.wait_for_timeout(800)
            assert app_errors(page) == [], (name, view)
            assert page.evaluate(EMPTY_PLOTS) == 0, (name, view)
    finally:
        context.close()
        server.stop()
