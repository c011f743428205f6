"""At phone width (390 × 844, touch): the sidebar starts collapsed, the title shows, tiles keep the desktop order, and a
vertical swipe that starts on a chart scrolls the page instead of being caught by the chart."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.conftest import Server, app_errors, screenshot, wait_for_app

pytestmark = pytest.mark.e2e
SCROLLED = "() => Math.max(document.scrollingElement.scrollTop, ...Array.from(document.querySelectorAll(" \
    "'[data-testid=stMain], [data-testid=stAppViewContainer]')).map(e => e.scrollTop))"  # fmt: skip


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


def swipe_up(page: Page, x: float, y: float, distance: float) -> None:
    """A finger moving up the screen (the page should scroll down), as touch events through the browser's input."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for step in range(1, 11):
        cdp.send(
            "Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y - distance * step / 10}]}
        )
        page.wait_for_timeout(16)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    page.wait_for_timeout(800)


def test_a_swipe_on_a_chart_scrolls_the_page_on_a_phone(server: Server, phone: Page):
    phone.goto(f"{server.url}/Trends")
    wait_for_app(phone)
    chart = phone.locator(".js-plotly-plot").first
    chart.wait_for(timeout=30_000)
    chart.evaluate("e => e.scrollIntoView({block: 'center'})")
    phone.wait_for_timeout(500)
    box = chart.bounding_box()
    before = phone.evaluate(SCROLLED)
    swipe_up(phone, box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, 200)
    assert phone.evaluate(SCROLLED) > before + 50
    assert app_errors(phone) == []


def test_the_overview_on_a_phone_has_the_sidebar_collapsed_and_tiles_in_desktop_order(server: Server, phone: Page):
    phone.goto(server.url)
    wait_for_app(phone)
    assert not phone.locator("[data-testid='stSidebar'][aria-expanded='true']").is_visible()
    labels = phone.locator("[data-testid='stMetricLabel']").all_inner_texts()
    # The headline figures first, in the desktop's order; the follow-up tiles come after them.
    assert labels[:6] == ["NPS", "CSAT", "CES", "90-day churn", "90-day retention", "First response (median)"]
    tops = [box["y"] for box in (m.bounding_box() for m in phone.locator("[data-testid='stMetric']").all())]
    assert tops == sorted(tops)  # stacked one under the other, in that order
    title, bar = phone.locator("h1").first.bounding_box(), phone.locator("[data-testid='stHeader']").bounding_box()
    assert title["y"] >= bar["y"] + bar["height"] - 1  # the top bar does not cover the page title
    screenshot(phone, "overview-phone")
