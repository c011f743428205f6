"""Present mode and decks under AppTest: the slide's header, a deck opening its slide, saving a view to a deck."""

from __future__ import annotations

import shutil
from datetime import datetime

import duckdb
import pytest

from cx.app import present
from cx.app.ui import PAGES
from cx.store import decks
from cx.store.decks import Deck, Slide
from tests.app.conftest import open_page


@pytest.fixture
def writable_demo(demo_db, tmp_path, use_database):
    """A copy of the demo database the test may write decks into."""
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, path)
    return use_database(path)


def param(at, name: str) -> str:
    value = at.query_params[name]
    return value if isinstance(value, str) else value[0]


def texts(at) -> list[str]:
    return [m.value for m in at.markdown]


def test_present_mode_prints_period_filters_and_the_data_time_at_the_top(demo_app_db):
    at = open_page("pages/1_Trends.py", {"present": "1", "from": "2026-09-01", "to": "2026-11-30", "segment": "SMB"})
    assert not at.exception
    header = " ".join(texts(at))
    assert "01 Sep 2026 – 30 Nov 2026" in header.replace("\\", "")
    assert "Segment: SMB" in header.replace("\\", "")
    assert "Data as of" in header and "Live data" in header
    slides = len(present.default_slides(PAGES, {}))  # Overview, Trends, Journey, Segments, Comments
    assert f"slide 2 / {slides}" in header.replace("\\", "")  # Trends is the second analysis page


def test_present_mode_draws_charts_half_as_large_again(demo_app_db):
    at = open_page("pages/1_Trends.py", {"present": "1", "metric": "nps"})
    spec = at.get("plotly_chart")[0].proto.spec
    assert '"tickfont":{"size":24.0}' in spec.replace(" ", "")


def test_the_page_outside_present_mode_offers_the_present_button(demo_app_db):
    at = open_page("pages/1_Trends.py")
    assert any(b.label == "Present" for b in at.button)
    at.button(key="cx_present_button").click().run()
    assert param(at, "present") == "1"


def test_a_deck_link_opens_the_slide_it_names(writable_demo):
    trends = Slide("pages/1_Trends.py", {"metric": ["csat"], "from": ["2026-09-01"], "to": ["2026-11-30"]})
    decks.save(Deck("Review", (Slide("dashboard.py", {}), trends)), writable_demo)
    at = open_page(None, {"deck": "Review", "slide": "2"})
    assert not at.exception
    assert param(at, "metric") == "csat"
    assert "slide 2 / 2 · Review" in " ".join(texts(at)).replace("\\", "")


def test_a_frozen_deck_pins_its_moment_in_the_url_and_says_so(writable_demo):
    moment = datetime(2026, 12, 1, 9, 30)
    decks.save(Deck("Frozen", (Slide("pages/1_Trends.py", {"metric": ["nps"]}),), moment), writable_demo)
    at = open_page(None, {"deck": "Frozen"})
    assert param(at, "as_of") == "2026-12-01T09:30:00"
    assert "Frozen snapshot: data imported up to 01 Dec 2026 09:30" in " ".join(texts(at)).replace("\\", "")


def test_an_unknown_deck_says_so_and_leaves_present_mode(demo_app_db):
    at = open_page(None, {"deck": "Nope"})
    assert any("no deck called Nope" in e.value for e in at.error)


def test_adding_the_view_on_screen_to_a_new_deck_stores_it_after_the_overview(writable_demo):
    at = open_page("pages/1_Trends.py", {"metric": "csat", "from": "2026-09-01", "to": "2026-11-30"})
    at.text_input(key="cx_present_deck_name").input("Monday review").run()
    at.button(key="cx_present_add").click().run()
    saved = decks.load("Monday review", writable_demo)
    assert [s.page for s in saved.slides] == ["dashboard.py", "pages/1_Trends.py"]
    assert saved.slides[1].params["metric"] == ["csat"]
    assert saved.slides[0].params == {"from": ["2026-09-01"], "to": ["2026-11-30"]}
    with duckdb.connect(str(writable_demo), read_only=True) as con:
        logged = con.execute("SELECT action, what, rows FROM audit_log WHERE action = 'deck'").fetchall()
    assert logged == [("deck", "Monday review", 2)]


def test_moving_a_slide_up_reorders_the_deck(writable_demo):
    first, second = Slide("dashboard.py", {}), Slide("pages/2_Journey.py", {})
    decks.save(Deck("Order", (first, second)), writable_demo)
    at = open_page("pages/1_Trends.py")
    at.selectbox(key="cx_present_deck_choice").select("Order").run()
    at.button(key="cx_present_up_1").click().run()
    assert decks.load("Order", writable_demo).slides == (second, first)


def test_freezing_a_link_puts_the_moment_in_the_url_and_shows_the_banner(demo_app_db):
    at = open_page("pages/1_Trends.py")
    at.toggle(key="cx_present_freeze_link").set_value(True).run()
    assert datetime.fromisoformat(param(at, "as_of")) <= datetime.now()
    assert any("Frozen snapshot" in i.value for i in at.info)


def test_the_pdf_button_makes_the_page_s_report_and_offers_it(writable_demo):
    at = open_page("pages/1_Trends.py", {"metric": "csat", "from": "2026-09-01", "to": "2026-11-30"})
    at.button(key="cx_report_page").click().run(timeout=300)
    assert not at.exception
    [download] = [b for b in at.get("download_button") if b.proto.id.endswith("cx_report_page_download")]
    assert download.proto.label.startswith("Download the PDF (")
    data = at.session_state["cx_report_pdf"][2]
    assert data.startswith(b"%PDF")


@pytest.mark.parametrize("page", ["dashboard.py", "pages/2_Journey.py", "pages/5_Comments.py"])
def test_a_slide_prints_its_period_once_in_the_header_not_again_in_the_caption(demo_app_db, page):
    view = {"from": "2026-09-01", "to": "2026-11-30", "segment": "SMB"}
    shown = open_page(page, {"present": "1", **view})
    assert not shown.exception
    everything = " ".join([*texts(shown), *(c.value for c in shown.caption)]).replace("\\", "")
    assert everything.count("01 Sep 2026 – 30 Nov 2026") == 1 and everything.count("Segment: SMB") == 1
    # Outside present mode there is no slide header: the caption carries the period and the filters.
    browsing = open_page(page, view)
    captions = " ".join(c.value for c in browsing.caption).replace("\\", "")
    assert "01 Sep 2026 – 30 Nov 2026 · Segment: SMB · " in captions
