"""Every page in a real browser: it opens, deep links work on a fresh server, filters drive the URL and charts."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, app_errors, screenshot, wait_for_app

pytestmark = pytest.mark.e2e

PAGES = [
    ("", "Overview"),
    ("Trends", "Trends"),
    ("Journey", "Journey"),
    ("Segments", "Segments"),
    ("Data", "Data"),
    ("Comments", "Comments"),
    ("Follow-up", "Follow-up"),
]


def plotly_traces(page: Page, index: int = 0) -> list:
    """The data of a Plotly chart on the page, as the browser holds it."""
    page.wait_for_function("(i) => document.querySelectorAll('.js-plotly-plot')[i]?.data", arg=index, timeout=30_000)
    return page.evaluate(
        "(i) => Array.from(document.querySelectorAll('.js-plotly-plot'))[i].data.map(t => ({name: t.name, y: Array.from(t.y || [])}))",
        index,
    )


def choose(page: Page, label: str, option: str) -> None:
    """Pick an option in a sidebar multiselect by typing it, as a user would."""
    box = page.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect']").filter(has_text=label)
    box.locator("input").click()
    box.locator("input").fill(option)
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")


@pytest.mark.parametrize(("path", "title"), PAGES)
def test_every_page_opens_without_errors(server: Server, page: Page, path: str, title: str):
    page.goto(f"{server.url}/{path}")
    wait_for_app(page)
    assert page.locator("h1").first.inner_text().strip() == title
    assert page.title() == f"{title} · CX dashboard"
    assert app_errors(page) == []
    assert page.locator(".st-key-cx_demo_badge").inner_text().strip().endswith("DEMO DATA")
    screenshot(page, f"page-{title.lower()}")


def test_overview_shows_six_tiles_with_sample_sizes(server: Server, page: Page):
    page.goto(server.url)
    wait_for_app(page)
    tiles = page.locator("[data-testid='stMetric']")
    expect(tiles).to_have_count(6 + 3)  # the headline tiles, then the three closing-the-loop figures
    screenshot(page, "overview-tiles")
    labels = " ".join(tiles.all_inner_texts()[:6])
    for name in ("NPS", "CSAT", "CES", "90-day churn", "90-day retention", "First response"):
        assert name in labels
    captions = " ".join(page.locator("[data-testid='stCaptionContainer']").all_inner_texts())
    assert captions.count("n = ") >= 6


def test_deep_link_on_a_fresh_server_gets_the_full_page_setup(demo_db, page: Page):
    fresh = Server(demo_db).start()
    try:
        page.goto(f"{fresh.url}/Trends?metric=csat&grain=month&segment=SMB")
        wait_for_app(page)
        assert page.title() == "Trends · CX dashboard"  # the page config ran, not a bare page script
        assert page.locator("[data-testid='stSidebar']").get_by_text("Filters", exact=True).is_visible()
        assert (
            "SMB"
            in page.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect']")
            .filter(has_text="Segment")
            .inner_text()
        )
        assert page.get_by_role("combobox", name="Metric").input_value() == "CSAT"
        assert page.locator(".js-plotly-plot").count() == 1
        assert app_errors(page) == []
        screenshot(page, "deep-link-trends")
    finally:
        fresh.stop()


def test_changing_a_filter_updates_the_url_and_the_chart(server: Server, page: Page):
    page.goto(f"{server.url}/Trends?metric=nps&grain=month")
    wait_for_app(page)
    before = plotly_traces(page)
    choose(page, "Segment", "Enterprise")
    page.wait_for_function("() => window.location.search.includes('segment=Enterprise')", timeout=30_000)
    wait_for_app(page)
    page.wait_for_timeout(1000)
    after = plotly_traces(page)
    assert parse_qs(urlparse(page.url).query)["segment"] == ["Enterprise"]
    assert [t["y"] for t in after] != [t["y"] for t in before]
    screenshot(page, "trends-filtered-enterprise")

    # the link reproduces the view: a new visitor with the copied URL sees the same chart
    other = page.context.new_page()
    other.goto(page.url)
    wait_for_app(other)
    other.wait_for_timeout(1000)
    assert plotly_traces(other) == after


def test_filters_follow_the_user_to_another_page(server: Server, page: Page):
    page.goto(f"{server.url}/?region=Europe")
    wait_for_app(page)
    page.locator("[data-testid='stSidebar']").get_by_role("link", name="Trends").click()
    page.wait_for_url("**/Trends**", timeout=30_000)
    wait_for_app(page)
    assert "region=Europe" in page.url
    assert (
        "Europe"
        in page.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect']")
        .filter(has_text="Region")
        .inner_text()
    )


def test_clicking_a_segment_bar_drills_into_it(server: Server, page: Page):
    page.goto(f"{server.url}/Segments?by=region&metric=nps")
    wait_for_app(page)
    chart = page.locator(".js-plotly-plot").first
    chart.locator(".barlayer .point path").first.wait_for(timeout=30_000)
    bars = chart.locator(".barlayer .point path")
    regions = plotly_traces(page, 0)[0]["y"]  # horizontal bars: the categories are on y
    assert bars.count() == len(regions) >= 2
    target = next(i for i, name in enumerate(regions) if name != "Unknown")
    bars.nth(target).click(force=True)
    page.wait_for_function("() => window.location.search.includes('region=')", timeout=30_000)
    wait_for_app(page)
    region = parse_qs(urlparse(page.url).query)["region"]
    assert region == [regions[target]]
    assert (
        region[0]
        in page.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect']")
        .filter(has_text="Region")
        .inner_text()
    )
    assert app_errors(page) == []
    screenshot(page, "segments-drilled-into-region")


def test_clicking_a_pain_point_filters_every_figure_to_that_touchpoint(server: Server, page: Page):
    page.goto(f"{server.url}/Journey")
    wait_for_app(page)
    chart = page.locator(".js-plotly-plot").first
    chart.locator(".barlayer .point path").first.wait_for(timeout=30_000)
    touchpoints = plotly_traces(page, 0)[0]["y"]
    chart.locator(".barlayer .point path").nth(len(touchpoints) - 1).click(force=True)  # the top bar: the worst
    page.wait_for_function("() => window.location.search.includes('touchpoint=')", timeout=30_000)
    wait_for_app(page)
    assert parse_qs(urlparse(page.url).query)["touchpoint"] == [touchpoints[-1]]
    sidebar = page.locator("[data-testid='stSidebar']")
    assert f"Touchpoint = {touchpoints[-1]}" in sidebar.inner_text()
    assert app_errors(page) == []
    screenshot(page, "journey-drilled-into-touchpoint")
