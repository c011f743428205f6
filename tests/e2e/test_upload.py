"""Uploading a file through the real file input, importing it, and seeing the dashboard change."""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import Server, app_errors, screenshot, wait_for_app
from tests.e2e.test_import_while_serving import nps_sample_size

pytestmark = pytest.mark.e2e


def test_upload_import_and_see_the_overview_change(demo_db, tmp_path, page: Page):
    database = tmp_path / "upload.duckdb"
    shutil.copy(demo_db, database)
    survey = tmp_path / "nps_export.csv"
    rows = [f"R-{i};{(i % 28) + 1:02d}/05/2026;{i % 11};Kommentar {i} mit Umlaut ä" for i in range(60)]
    survey.write_bytes(
        (
            "Response ID;Date;How likely are you to recommend us to a friend or colleague?;Comment\n"
            + "\n".join(rows)
            + "\n"
        ).encode("latin-1")
    )
    server = Server(database).start()
    try:
        page.goto(f"{server.url}/?from=2026-01-01&to=2026-12-31")
        wait_for_app(page)
        before = nps_sample_size(page)

        page.locator("[data-testid='stSidebar']").get_by_role("link", name="Data").click()
        wait_for_app(page)
        page.locator("input[type='file']").set_input_files(str(survey))
        page.get_by_text("read as", exact=False).first.wait_for(timeout=60_000)
        assert "60 rows" in page.get_by_text("read as", exact=False).first.inner_text()
        screenshot(page, "data-upload-checked")
        page.get_by_role("button", name="Import nps_export.csv").click()
        page.get_by_text("imported +", exact=False).first.wait_for(timeout=60_000)
        assert app_errors(page) == []
        screenshot(page, "data-upload-imported")

        page.locator("[data-testid='stSidebar']").get_by_role("link", name="Overview").click()
        wait_for_app(page)
        assert nps_sample_size(page) == before + 60
    finally:
        server.stop()
