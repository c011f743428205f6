"""Readable from the back of a room: measured in the browser, at a meeting-room screen's sizes."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import Server, app_errors, screenshot, wait_for_app

pytestmark = pytest.mark.e2e

SCREENS = [(1920, 1080), (1280, 720)]
TICK_SIZES = """() => Array.from(document.querySelectorAll('.js-plotly-plot .xtick text, .js-plotly-plot .ytick text'))
    .map(t => parseFloat(getComputedStyle(t).fontSize))"""
TEXT_COLOURS = """() => Array.from(document.querySelectorAll('.js-plotly-plot .xtick text, .js-plotly-plot .ytick text'))
    .map(t => getComputedStyle(t).fill)"""


def open_at(browser: Browser, width: int, height: int) -> Page:
    return browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1).new_page()


def luminance(rgb: str) -> float:
    channels = [int(c) / 255 for c in rgb.removeprefix("rgb(").removesuffix(")").split(",")[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@pytest.mark.parametrize("path", ["Trends?split=segment", "Journey", "Segments"])
def test_every_chart_tick_label_is_at_least_sixteen_pixels_in_dark_ink(server: Server, browser: Browser, path: str):
    page = open_at(browser, 1920, 1080)
    page.goto(f"{server.url}/{path}")
    wait_for_app(page)
    page.wait_for_selector(".js-plotly-plot .xtick text", timeout=30_000)
    sizes = page.evaluate(TICK_SIZES)
    assert sizes and min(sizes) >= 16
    contrasts = [1.05 / (luminance(c) + 0.05) for c in page.evaluate(TEXT_COLOURS)]
    assert min(contrasts) >= 7
    assert app_errors(page) == []
    page.context.close()


@pytest.mark.parametrize(("width", "height"), SCREENS)
def test_the_six_overview_tiles_fit_one_screen_below_their_heading(
    server: Server, browser: Browser, width: int, height: int
):
    page = open_at(browser, width, height)
    page.goto(server.url)
    wait_for_app(page)
    tiles = page.locator("[class*='st-key-cx_tile_']")
    expect(tiles).to_have_count(6)
    # Below the briefing: scrolled to their heading (as the arrow key does in present mode), all six show.
    page.get_by_role("heading", name="Headline figures").evaluate("h => h.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(300)
    bottoms = [box["y"] + box["height"] for box in (tiles.nth(i).bounding_box() for i in range(6))]
    assert max(bottoms) <= height
    screenshot_path = screenshot(page, f"overview-{width}x{height}")
    assert screenshot_path.exists()
    page.context.close()
