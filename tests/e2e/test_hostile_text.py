"""Text from data, links and file names is shown as written on every page: no script runs, nothing is injected."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from playwright.sync_api import Page

from cx.app.safe import WORD_JOINER
from tests.e2e.conftest import Server, app_errors, screenshot, wait_for_app
from tests.hostile import FIND_INJECTED, FORMULA_STARTS, PAYLOADS, hostile_db

pytestmark = pytest.mark.e2e

VIEWS = [
    "",
    "Trends?metric=csat&grain=month",
    "Trends?metric=csat&grain=month&split=touchpoint",
    "Trends?metric=nps&grain=month&split=" + quote("attr." + PAYLOADS[0]),
    "Journey",
    "Segments?metric=nps&by=segment",
    "Segments?metric=csat&by=" + quote("attr." + PAYLOADS[1]),
    "Data",
    "Comments",
    # A link someone sends: filters that are payloads themselves.
    "Journey?" + urlencode({"segment": PAYLOADS[2], "touchpoint": PAYLOADS[4]}),
    "?" + urlencode([("segment", PAYLOADS[0]), ("segment", PAYLOADS[5]), ("region", PAYLOADS[3])]),
    "Trends?" + urlencode({"touchpoint": PAYLOADS[6], "channel": PAYLOADS[7], "attr.x": PAYLOADS[1]}),
]


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory) -> Iterator[Server]:
    server = Server(hostile_db(tmp_path_factory.mktemp("hostile") / "hostile.duckdb")).start()
    yield server
    server.stop()


@pytest.fixture
def dialogs(page: Page) -> list[str]:
    """Every alert, confirm or prompt the page opens (dismissed at once)."""
    opened: list[str] = []
    page.on("dialog", lambda dialog: (opened.append(dialog.message), dialog.dismiss()))
    return opened


def injected(page: Page) -> list[str]:
    """Anything a payload managed to create, after the charts have drawn and the hover labels shown."""
    for plot in page.locator(".js-plotly-plot").all()[:6]:
        box = plot.bounding_box()
        if box:
            for fraction in (0.3, 0.5, 0.7):  # hover labels are drawn only under the mouse
                page.mouse.move(box["x"] + box["width"] * fraction, box["y"] + box["height"] * 0.5)
                page.wait_for_timeout(100)
    found = page.evaluate(FIND_INJECTED)
    if page.evaluate("() => getComputedStyle(document.body).backgroundColor") == "rgb(255, 0, 0)":
        found.append("the page turned red")
    return found


@pytest.mark.parametrize("view", VIEWS)
def test_payloads_in_every_text_field_stay_text(hostile_server: Server, page: Page, dialogs: list[str], view: str):
    page.goto(f"{hostile_server.url}/{view}")
    wait_for_app(page)
    page.wait_for_timeout(1500)
    wait_for_app(page)  # a page that mirrors its choices in the URL runs once more
    assert injected(page) == []
    assert dialogs == []
    assert app_errors(page) == []
    screenshot(page, "hostile-" + (view.split("?")[0] or "overview").lower())


def test_payload_names_show_literally_in_a_headline(hostile_server: Server, page: Page):
    page.goto(f"{hostile_server.url}/Journey")
    wait_for_app(page)
    headlines = " ".join(page.locator("[class*='st-key-cx_headline_'] p").all_inner_texts())
    headlines = headlines.replace(WORD_JOINER, "")  # the invisible break that keeps https:// from linking
    assert any(payload in headlines for payload in PAYLOADS)  # e.g. '<iframe class="pwn" …>Support' as text


def test_the_undo_popover_and_the_history_show_file_names_as_text(
    hostile_server: Server, page: Page, dialogs: list[str]
):
    page.goto(f"{hostile_server.url}/Data")
    wait_for_app(page)
    page.get_by_role("button", name="Undo…").click()
    popover = page.get_by_text("Remove every row that", exact=False)
    popover.wait_for(timeout=10_000)
    newest = f"#{len(PAYLOADS)} · {PAYLOADS[-1]}"
    assert newest in popover.inner_text().replace(WORD_JOINER, "")  # the newest import, its name as written
    assert injected(page) == [] and dialogs == []


def test_an_upload_named_and_filled_with_payloads_stays_text(
    hostile_server: Server, page: Page, dialogs: list[str], tmp_path: Path
):
    name = "![pwn](https:evil.example) <img src=x class=pwn onerror=alert(1)>.csv"
    header = "Response ID,Date,NPS score," + PAYLOADS[0].replace('"', "'")
    rows = [f'r{i},2026-03-{1 + i % 28:02d},{i % 11},"{PAYLOADS[i % 8].replace(chr(34), chr(39))}"' for i in range(40)]
    page.goto(f"{hostile_server.url}/Data")
    wait_for_app(page)
    page.locator("input[type='file']").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": ("\n".join([header, *rows]) + "\n").encode()}]
    )
    page.get_by_text("read as", exact=False).first.wait_for(timeout=60_000)
    wait_for_app(page)
    assert page.get_by_role("heading", name=name).count() == 1  # the name, as written
    assert injected(page) == [] and dialogs == []
    screenshot(page, "hostile-upload")


DOWNLOADS = [
    "Trends?metric=csat&grain=month&split=touchpoint",
    "Journey",
    "Segments?metric=nps&by=region",
    "Data",
    "Comments",
]


def formula_cells(content: bytes) -> tuple[list[str], int]:
    """(cells a spreadsheet would run as a formula, cells made inert with an apostrophe) of a CSV."""
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    cells = [cell for row in rows for cell in row]

    def number(cell: str) -> bool:
        try:
            float(cell)
            return True
        except ValueError:
            return False

    live = [c for c in cells if c.startswith(FORMULA_STARTS) and not number(c)]
    return live, sum(c.startswith("'") and c[1:].startswith(FORMULA_STARTS) for c in cells)


@pytest.mark.parametrize("view", DOWNLOADS)
def test_every_csv_download_on_the_page_hands_formulas_over_as_text(hostile_server: Server, page: Page, view: str):
    page.goto(f"{hostile_server.url}/{view}")
    wait_for_app(page)
    page.wait_for_timeout(1500)
    wait_for_app(page)
    buttons = page.locator("[data-testid='stDownloadButton'] button").filter(has_text="CSV")
    assert buttons.count() >= 1
    inert = 0
    for index in range(buttons.count()):
        with page.expect_download() as download:
            buttons.nth(index).click()
        live, neutralised = formula_cells(Path(download.value.path()).read_bytes())
        wait_for_app(page)  # a download reruns the page: the next button's file is the new run's
        assert live == [], f"download {index} on {view}"
        inert += neutralised
    assert inert > 0  # the payloads were in the downloads, as text
