"""Present mode in a real browser: a saved deck walked through with the keys a clicker sends, at meeting-room
screen sizes; and a frozen deck that keeps its numbers while an import runs during the meeting."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from datetime import datetime

import pytest
from playwright.sync_api import Browser, Page

from cx.store import decks
from cx.store.decks import Deck, Slide
from tests.e2e.conftest import ARTIFACTS, ROOT, Server, app_errors, wait_for_app

pytestmark = pytest.mark.e2e

PERIOD = {"from": ["2026-09-01"], "to": ["2026-11-30"]}
SLIDES = (
    Slide("dashboard.py", PERIOD),
    Slide("pages/1_Trends.py", {**PERIOD, "metric": ["csat"], "grain": ["week"]}),
    Slide("pages/2_Journey.py", PERIOD),
)
TICK_SIZES = """() => Array.from(document.querySelectorAll('.js-plotly-plot .xtick text, .js-plotly-plot .ytick text'))
    .map(t => parseFloat(getComputedStyle(t).fontSize))"""
SECTION_TOPS = """() => Array.from(document.querySelectorAll('[data-testid="stMainBlockContainer"] h3'))
    .map(h => [h.innerText, h.getBoundingClientRect().top])"""


@pytest.fixture(scope="module")
def deck_server(demo_db, tmp_path_factory):
    database = tmp_path_factory.mktemp("present") / "present.duckdb"
    shutil.copy(demo_db, database)
    decks.save(Deck("Monday review", SLIDES), database)
    server = Server(database).start()
    yield server
    server.stop()


def presenting(browser: Browser, url: str, width: int, height: int) -> Page:
    page = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1).new_page()
    page.goto(url)
    wait_for_app(page)
    page.wait_for_selector("body[data-cx-present-keys='ready']", state="attached", timeout=30_000)
    return page


def press(page: Page, key: str, *, opens: str | None = None) -> None:
    """Press a key; when it `opens` another slide, wait until that page has finished drawing."""
    page.keyboard.press(key)
    if opens:
        page.wait_for_function("(title) => document.title === title", arg=opens, timeout=60_000)
        wait_for_app(page)
        page.wait_for_selector("body[data-cx-present-keys='ready']", state="attached", timeout=30_000)
    page.wait_for_timeout(500)


def screenshot(page: Page, name: str) -> None:
    """What the room sees: the viewport only (growing the window to the page, as the shared helper does,
    would scroll the slide back to its top)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def header_bottom(page: Page) -> float:
    box = page.locator(".st-key-cx_slide_header").bounding_box()
    return box["y"] + box["height"]


def section_at_top(page: Page) -> str | None:
    """The section heading sitting just below the slide's header, if the slide is scrolled to one."""
    below = header_bottom(page)
    for text, top in page.evaluate(SECTION_TOPS):
        if below <= top <= below + 40:
            return text
    return None


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (1280, 720)])
def test_the_arrow_keys_walk_through_a_saved_deck_and_its_sections(
    deck_server: Server, browser: Browser, width, height
):
    page = presenting(browser, f"{deck_server.url}/?deck=Monday+review", width, height)
    assert page.title() == "Overview · CX dashboard"
    assert not page.locator("[data-testid='stSidebar']").is_visible()
    assert page.locator("[data-testid='stSidebarCollapsedControl'], [data-testid='stExpandSidebarButton']").count() == 0 or \
        not page.locator("[data-testid='stSidebarCollapsedControl'], [data-testid='stExpandSidebarButton']").first.is_visible()  # fmt: skip
    assert "slide 1 / 3 · Monday review" in page.locator(".st-key-cx_slide_header").inner_text()
    screenshot(page, f"present-overview-{width}x{height}")
    press(page, "ArrowRight")  # the first slide's sections: the briefing, then the headline figures
    assert section_at_top(page) == "What changed"
    press(page, "ArrowRight")
    assert section_at_top(page) == "Headline figures"
    screenshot(page, f"present-overview-tiles-{width}x{height}")
    press(page, "ArrowRight")  # the last section, too short to reach the top: shown where the page ends
    closing = page.get_by_role("heading", name="Closing the loop").bounding_box()
    assert header_bottom(page) <= closing["y"] < height

    press(page, "ArrowRight", opens="Trends · CX dashboard")
    assert "metric=csat" in page.url and "slide=2" in page.url
    page.wait_for_selector(".js-plotly-plot .xtick text", timeout=30_000)
    assert min(page.evaluate(TICK_SIZES)) >= 24  # 16 px, half as large again
    assert not page.locator(".modebar-container").first.is_visible()
    screenshot(page, f"present-trends-{width}x{height}")

    press(page, "PageDown", opens="Journey · CX dashboard")  # a clicker's "next"
    assert "slide 3 / 3" in page.locator(".st-key-cx_slide_header").inner_text()
    press(page, "ArrowRight")
    assert section_at_top(page) == "Pain points"
    press(page, "ArrowDown")
    assert section_at_top(page) == "Flow through the journey"
    screenshot(page, f"present-journey-flow-{width}x{height}")
    press(page, "ArrowUp")
    assert section_at_top(page) == "Pain points"

    press(page, "ArrowLeft")  # back to the top of the slide
    press(page, "PageUp", opens="Trends · CX dashboard")  # and back to the previous slide
    assert app_errors(page) == []
    page.context.close()


def test_escape_leaves_present_mode_and_the_sidebar_returns(deck_server: Server, browser: Browser):
    page = presenting(browser, f"{deck_server.url}/Trends?present=1", 1280, 720)
    page.keyboard.press("Escape")
    page.wait_for_selector("[data-testid='stSidebar']", timeout=30_000)
    assert page.locator("[data-testid='stSidebar']").is_visible()
    assert "present=1" not in page.url
    page.context.close()


def nps_tile(page: Page) -> tuple[str, int]:
    tile = page.locator("[class*='st-key-cx_tile_nps']").first
    value = tile.locator("[data-testid='stMetricValue']").inner_text()
    caption = tile.locator("[data-testid='stCaptionContainer']").first.inner_text()
    return value, int(re.search(r"n = ([\d,]+)", caption).group(1).replace(",", ""))


def test_a_frozen_deck_shows_the_same_numbers_after_an_import_during_the_meeting(demo_db, tmp_path, browser: Browser):
    database = tmp_path / "meeting.duckdb"
    shutil.copy(demo_db, database)
    decks.save(Deck("Frozen review", (Slide("dashboard.py", PERIOD),), datetime.now().replace(microsecond=0)), database)
    server = Server(database).start()
    try:
        page = presenting(browser, f"{server.url}/?deck=Frozen+review", 1920, 1080)
        before = nps_tile(page)
        assert "Frozen snapshot" in page.locator(".st-key-cx_slide_header").inner_text()

        survey = tmp_path / "late-answers.csv"
        lines = ["Response ID,Submitted,How likely are you to recommend us to a friend or colleague?"]
        # Mostly detractors, not all: a figure at the scale's end (-100) would need --accept-warnings.
        lines += [f"LATE-{i},2026-10-{(i % 28) + 1:02d},{(0, 3, 9)[i % 3]}" for i in range(300)]
        survey.write_text("\n".join(lines) + "\n")
        result = subprocess.run(
            [sys.executable, "-m", "cx", "import", str(survey), "--db", str(database), "--json"],
            cwd=ROOT, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)[0]["imported"] == 300

        page.reload()
        wait_for_app(page)
        assert nps_tile(page) == before
        screenshot(page, "present-frozen-after-import")

        live = presenting(browser, f"{server.url}/?from=2026-09-01&to=2026-11-30&present=1", 1920, 1080)
        assert nps_tile(live)[1] == before[1] + 300  # the live view has the new answers
        page.context.close()
        live.context.close()
    finally:
        server.stop()
