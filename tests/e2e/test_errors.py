"""In the browser: a failing page shows a plain message with a reference, and the trace stays in the log."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import Server, app_errors

pytestmark = pytest.mark.e2e


def test_a_broken_database_gives_a_plain_message_with_a_reference_and_logs_the_trace(tmp_path, page: Page):
    broken = tmp_path / "broken.duckdb"
    broken.write_bytes(b"not a database " * 1000)
    server = Server(broken).start()
    try:
        page.goto(server.url)
        message = page.get_by_text("Something went wrong", exact=False)
        message.wait_for(timeout=60_000)
        reference = re.search(r"reference[^:]*: ([0-9A-F]{8})", message.inner_text()).group(1)
        assert page.locator("[data-testid='stException']").count() == 0  # no Streamlit exception box, no trace
        assert "Traceback" not in page.locator("body").inner_text()
        page.wait_for_timeout(500)
        log = server.log.read_text()
        assert f"reference {reference}" in log and "Traceback" in log  # whoever runs it can find the cause
    finally:
        server.stop()


@pytest.mark.parametrize(
    "view",
    ["?channel=%00", "?from=0001-01-01", "?to=9999-12-31", "Trends?metric=response_within_target&target_h=99999",
     "Journey?from=2026-12-01&to=2026-01-01"],
)  # fmt: skip
def test_hostile_links_show_no_traceback(server: Server, page: Page, view: str):
    page.goto(f"{server.url}/{view}")
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=60_000)
    page.wait_for_selector("[data-testid='stMainBlockContainer'] h1", timeout=60_000)
    page.wait_for_timeout(800)
    assert app_errors(page) == []
    assert "Traceback" not in page.locator("body").inner_text()
