"""A slow upload is read in a child process: a second user is served meanwhile, Cancel ends it, a budget bounds it;
a workbook built to exhaust memory is refused before it is expanded, and the server stays up."""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.conftest import Server, app_errors, screenshot, wait_for_app
from tests.unit.ingest_helpers import xlsx

pytestmark = pytest.mark.e2e


def slow_survey(folder: Path) -> Path:
    """1,000 columns by 3,000 rows: seconds to minutes of profiling, depending on the machine."""
    header = ",".join(f"Question {i}" for i in range(1000))
    body = "\n".join(",".join(str((r * 7 + c) % 97) for c in range(1000)) for r in range(3000))
    path = folder / "wide survey.csv"
    path.write_text(header + "\n" + body + "\n")
    return path


def upload(page: Page, path: Path, *, until_reading: bool = True) -> None:
    page.locator("[data-testid='stSidebar']").get_by_role("link", name="Data").click()
    wait_for_app(page)
    page.locator("input[type='file']").set_input_files(str(path))
    if until_reading:
        page.get_by_text("Reading wide survey.csv…", exact=False).wait_for(timeout=60_000)


def server_with(demo_db: Path, folder: Path, **env: str) -> Server:
    database = folder / "cx.duckdb"
    shutil.copy(demo_db, database)
    before = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        return Server(database).start()
    finally:
        for name, value in before.items():
            os.environ.pop(name) if value is None else os.environ.__setitem__(name, value)


def test_a_second_user_is_served_while_a_slow_upload_is_read_and_cancel_ends_it(
    demo_db, tmp_path, browser: Browser, page: Page
):
    server = server_with(demo_db, tmp_path, CX_ANALYSIS_SECONDS="900")
    other = browser.new_context(viewport={"width": 1300, "height": 900}).new_page()
    try:
        page.goto(server.url)
        wait_for_app(page)
        upload(page, slow_survey(tmp_path))
        other.goto(f"{server.url}/Trends?metric=csat&grain=month")
        wait_for_app(other)  # the whole page, while the first user's file is still being read:
        assert other.locator(".js-plotly-plot").count() == 1
        assert page.get_by_text("Reading wide survey.csv…", exact=False).is_visible()
        screenshot(page, "upload-reading")
        page.get_by_role("button", name="Cancel").click()
        page.get_by_text("Reading wide survey.csv was cancelled.").wait_for(timeout=30_000)
        assert page.get_by_role("button", name="Read it again").is_visible()
        assert app_errors(page) == [] and app_errors(other) == []
    finally:
        other.context.close()
        server.stop()


def test_reading_an_upload_stops_at_its_time_budget_with_a_plain_message(demo_db, tmp_path, page: Page):
    server = server_with(demo_db, tmp_path, CX_ANALYSIS_SECONDS="2")
    try:
        page.goto(server.url)
        wait_for_app(page)
        upload(page, slow_survey(tmp_path), until_reading=False)  # "Reading…" may be gone before it is seen
        page.get_by_text("took longer than 2 s, so we stopped", exact=False).wait_for(timeout=60_000)
        assert "python -m cx import FILE" in page.locator("[data-testid='stAlert']").first.inner_text()
        assert app_errors(page) == []
        screenshot(page, "upload-budget")
    finally:
        server.stop()


def workbook_bombs(folder: Path) -> list[Path]:
    """The two workbooks that took the server down: a cell at XFD1048576, and kilobytes unpacking to 512 MB."""
    small = xlsx({"Data": [["Customer ID", "Plan"], ["c1", "Gold"], ["c2", "Silver"]]})
    source = zipfile.ZipFile(io.BytesIO(small))
    corner, inflated = folder / "corner.xlsx", folder / "inflated.xlsx"
    with (
        zipfile.ZipFile(corner, "w", zipfile.ZIP_DEFLATED) as c,
        zipfile.ZipFile(inflated, "w", zipfile.ZIP_DEFLATED) as i,
    ):
        for info in source.infolist():
            content = source.read(info)
            if not info.filename.endswith("sheet1.xml"):
                c.writestr(info.filename, content)
                i.writestr(info.filename, content)
                continue
            far = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
            c.writestr(info.filename, content.replace(b"</sheetData>", far))
            head, tail = content.split(b"<sheetData>")
            with i.open(info.filename, "w", force_zip64=True) as part:  # written in pieces: never 512 MB in memory
                part.write(head + b"<sheetData>")
                for _ in range(512):
                    part.write(b" " * (1 << 20))
                part.write(tail)
    assert corner.stat().st_size < 2_000 and inflated.stat().st_size < 2 << 20
    return [corner, inflated]


def test_workbook_bombs_on_the_data_page_are_refused_and_the_server_keeps_serving(
    demo_db, tmp_path, browser: Browser, page: Page
):
    server = server_with(demo_db, tmp_path)
    other = browser.new_context(viewport={"width": 1300, "height": 900}).new_page()
    try:
        page.goto(server.url)
        wait_for_app(page)
        page.locator("[data-testid='stSidebar']").get_by_role("link", name="Data").click()
        wait_for_app(page)
        corner, inflated = workbook_bombs(tmp_path)
        page.locator("input[type='file']").set_input_files([str(corner), str(inflated)])
        page.get_by_text("we read at most 1,000 columns", exact=False).wait_for(timeout=60_000)
        page.get_by_text('The workbook "inflated.xlsx" unpacks to more than', exact=False).wait_for(timeout=60_000)
        screenshot(page, "upload-workbook-bombs")
        other.goto(f"{server.url}/Journey")
        wait_for_app(other)  # the server is up, for the next user too
        assert server.process.poll() is None
        assert app_errors(page) == [] and app_errors(other) == []
    finally:
        other.context.close()
        server.stop()
