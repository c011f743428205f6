"""The Comments page in Chromium: the drill from a Journey bar to its comments, and real comments."""

from __future__ import annotations

import re
import subprocess
import sys
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page

from tests.conftest import REAL_DATA
from tests.e2e.conftest import ROOT, Server, app_errors, screenshot, wait_for_app
from tests.e2e.test_pages import plotly_traces

pytestmark = pytest.mark.e2e


def test_a_journey_bar_leads_to_its_comments_in_two_clicks(server: Server, page: Page):
    page.goto(f"{server.url}/Journey")
    wait_for_app(page)
    chart = page.locator(".js-plotly-plot").first
    chart.locator(".barlayer .point path").first.wait_for(timeout=30_000)
    touchpoints = plotly_traces(page, 0)[0]["y"]
    worst = touchpoints[-1]
    chart.locator(".barlayer .point path").nth(len(touchpoints) - 1).click(force=True)  # click 1: the worst bar
    page.wait_for_function("() => window.location.search.includes('touchpoint=')", timeout=30_000)
    wait_for_app(page)
    page.get_by_text(f"Comments behind {worst}").click()  # click 2: the comments behind it
    page.wait_for_function("() => window.location.pathname.endsWith('/Comments')", timeout=30_000)
    wait_for_app(page)
    assert app_errors(page) == []
    params = parse_qs(urlparse(page.url).query)
    assert params["touchpoint"] == [worst] and params["survey"] == ["csat"] and params["sort"] == ["negative"]
    main = page.locator("[data-testid='stMainBlockContainer']")
    # "1 comment matches" or "12 comments match": which touchpoint is worst moves with the demo's dates.
    assert re.search(r"\b[\d,]+ (comment matches|comments match)\b", main.inner_text())
    details = page.locator("[data-testid='stCaptionContainer']").filter(has_text="CSAT ").all_inner_texts()
    assert details and all(worst in d for d in details)
    screenshot(page, "comments-behind-a-journey-bar")


def test_a_drop_worth_a_look_on_trends_opens_its_comments_and_their_themes_in_one_click(server: Server, page: Page):
    page.goto(f"{server.url}/Trends?metric=csat")
    wait_for_app(page)
    callout = page.locator(".st-key-cx_worth_a_look")
    line = callout.get_by_text("Billing inquiry: CSAT fell").first
    line.wait_for(timeout=30_000)
    callout.get_by_role("link", name="Comments").first.click()  # the one click
    page.wait_for_function("() => window.location.pathname.endsWith('/Comments')", timeout=30_000)
    wait_for_app(page)
    assert app_errors(page) == []
    params = parse_qs(urlparse(page.url).query)
    assert params["touchpoint"] == ["Billing inquiry"] and params["survey"] == ["csat"]
    assert params["from"][0][:7] == params["to"][0][:7]  # that month
    main = page.locator("[data-testid='stMainBlockContainer']")
    main.get_by_text("What these comments talk about").wait_for(timeout=30_000)
    assert "comments match" in main.inner_text() and "mention" in main.inner_text()
    screenshot(page, "comments-behind-a-drop-on-trends")


@pytest.fixture(scope="module")
def real_comments_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("real-comments")
    database = folder / "real.duckdb"
    # Both real files as they are, with no --map: the importer reads "31-Jul-18" and finds the survey's comment.
    for name in ("reviews_amazon_alexa_en.tsv", "survey_rcommunity2019_en_googleforms.xlsx"):
        done = subprocess.run([sys.executable, "-m", "cx", "import", str(REAL_DATA / name), "--db", str(database)],
                              cwd=ROOT, capture_output=True, text=True, timeout=600)  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
    server = Server(database).start()
    yield server
    server.stop()


def test_real_reviews_show_with_themes_and_highlighted_search(real_comments_server, page: Page):
    page.goto(f"{real_comments_server.url}/Comments?from=2018-05-01&to=2018-07-31&survey=csat&q=love")
    wait_for_app(page)
    assert app_errors(page) == []
    main = page.locator("[data-testid='stMainBlockContainer']")
    assert "comments match" in main.inner_text()
    marked = page.locator("[data-testid='stMarkdownContainer'] strong").filter(has_text="ove")
    assert marked.count() >= 5  # "love"/"Love"/"Loved" highlighted
    assert page.locator(".js-plotly-plot").count() >= 1  # theme impact on CSAT
    screenshot(page, "comments-real-reviews")


def test_real_reviews_cost_csat_by_theme_with_intervals(real_comments_server, page: Page):
    page.goto(f"{real_comments_server.url}/Comments?from=2018-05-01&to=2018-07-31&survey=csat")
    wait_for_app(page)
    text = page.locator("[data-testid='stMainBlockContainer']").inner_text()
    assert "CSAT points" in text and "95%" in text
    screenshot(page, "comments-real-themes")


def test_the_real_survey_comments_open_without_errors(real_comments_server, page: Page):
    page.goto(f"{real_comments_server.url}/Comments?from=2019-12-01&to=2020-01-31&survey=nps")
    wait_for_app(page)
    assert app_errors(page) == []
    assert "comments match" in page.locator("[data-testid='stMainBlockContainer']").inner_text()
