"""In Chromium: a file the guess cannot store is fixed in the mapping table, imported, and seen on the Overview;
the mapping, saved, imports the next month's file as it is."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import Server, app_errors, screenshot, wait_for_app

pytestmark = pytest.mark.e2e

HEADER = "Ref,Submitted,Q7\n"
MAY = HEADER + "".join(f"r{n},2024-05-{n % 28 + 1:02d},{[5, 4, 2, 5, 1][n % 5]}\n" for n in range(40))  # CSAT 60%
JUNE = HEADER + "".join(f"j{n},2024-06-{n % 28 + 1:02d},{[5, 5, 3][n % 3]}\n" for n in range(30))  # 20 more of 4-5


def settle(page: Page) -> None:
    page.wait_for_timeout(400)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=60_000)


def choose(page: Page, label: str, option: str) -> None:
    """Pick an option of a selectbox as a person does: type into it, click the match."""
    box = page.get_by_label(label)
    box.click()
    box.fill(option)
    page.get_by_role("option", name=option, exact=True).click()
    settle(page)


def test_the_dead_end_is_fixed_in_the_mapping_table_and_a_saved_mapping_imports_the_next_file(tmp_path, page: Page):
    may, june = tmp_path / "survey_may.csv", tmp_path / "survey_june.csv"
    may.write_text(MAY)
    june.write_text(JUNE)
    server = Server(tmp_path / "cx.duckdb").start()
    try:
        page.goto(f"{server.url}/Data")
        wait_for_app(page)
        page.locator("input[type='file']").set_input_files(str(may))
        page.get_by_text("read as", exact=False).first.wait_for(timeout=60_000)
        settle(page)
        assert page.get_by_text("No column of", exact=False).first.is_visible()
        assert page.get_by_role("button", name="Import survey_may.csv").is_disabled()
        screenshot(page, "data-mapping-dead-end")

        choose(page, "Stored as (Q7)", "CSAT score (1–5)")
        page.get_by_text("CSAT 60.0% on 40 answers").wait_for(timeout=60_000)
        assert app_errors(page) == []
        screenshot(page, "data-mapping-fixed")
        page.get_by_role("button", name="Save this mapping…").click()
        page.get_by_label("Mapping name").fill("Monthly Q7")
        page.get_by_label("Mapping name").press("Enter")  # Enter saves: the name is in a form
        page.get_by_text("Saved as “Monthly Q7”.").wait_for(timeout=30_000)
        page.keyboard.press("Escape")
        page.get_by_role("button", name="Import survey_may.csv").click()
        page.get_by_text("imported +", exact=False).first.wait_for(timeout=60_000)

        page.locator("[data-testid='stSidebar']").get_by_role("link", name="Overview").click()
        wait_for_app(page)
        screenshot(page, "data-mapping-overview")
        page.get_by_text("CSAT 60%", exact=False).first.wait_for(timeout=30_000)  # the tile's sentence
        assert page.get_by_text("n = 40", exact=False).first.is_visible()

        page.goto(f"{server.url}/Data")
        wait_for_app(page)
        page.locator("input[type='file']").set_input_files(str(june))
        page.get_by_text("fits these headers", exact=False).first.wait_for(timeout=60_000)
        settle(page)
        assert page.get_by_text("CSAT 66.7% on 30 answers").is_visible()
        screenshot(page, "data-mapping-saved-applied")
        page.get_by_role("button", name="Import survey_june.csv").click()
        page.get_by_text("imported +", exact=False).first.wait_for(timeout=60_000)
        assert app_errors(page) == []

        page.goto(f"{server.url}/?from=2024-05-01&to=2024-06-30")
        wait_for_app(page)
        # (24 + 20) of 70 answers are 4 or 5.
        page.get_by_text("CSAT 63%", exact=False).first.wait_for(timeout=30_000)
        assert page.get_by_text("n = 70", exact=False).first.is_visible()
    finally:
        server.stop()
