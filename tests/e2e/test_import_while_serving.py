"""A scheduled `python -m cx import` while the dashboard serves users: it succeeds, and the page shows it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import ROOT, Server, screenshot, wait_for_app

pytestmark = pytest.mark.e2e


def nps_sample_size(page: Page) -> int:
    tile = page.locator("[data-testid='stMetric']").filter(has_text="NPS").first.locator("xpath=../..")
    caption = tile.locator("[data-testid='stCaptionContainer']").first.inner_text()
    return int(re.search(r"n = ([\d,]+)", caption).group(1).replace(",", ""))


def test_cli_import_while_the_dashboard_serves_shows_up_without_restart(demo_db, tmp_path, page: Page):
    database = tmp_path / "served.duckdb"
    shutil.copy(demo_db, database)
    server = Server(database).start()
    try:
        page.goto(f"{server.url}/?from=2026-01-01&to=2026-12-31")
        wait_for_app(page)
        before = nps_sample_size(page)

        survey = tmp_path / "survey.csv"
        lines = ["Response ID,Submitted,How likely are you to recommend us to a friend or colleague?"]
        lines += [f"EXT-{i},2026-06-{(i % 28) + 1:02d},{i % 11}" for i in range(40)]
        survey.write_text("\n".join(lines) + "\n")
        # Keep the server busy with page loads while the import runs.
        loader = page.context.new_page()
        loader.goto(f"{server.url}/Trends?from=2025-01-01&to=2026-12-31", wait_until="commit")
        result = subprocess.run(
            [sys.executable, "-m", "cx", "import", str(survey), "--db", str(database), "--json"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)[0]["imported"] == 40

        page.reload()
        wait_for_app(page)
        assert nps_sample_size(page) == before + 40
        screenshot(page, "overview-after-cli-import")
    finally:
        server.stop()
