"""Broken input never shows a traceback: the cases that used to, each provoked on the page it broke."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import ROOT, open_page, plain
from tests.conftest import build_db, hold_database

# Every page there is, new ones included: None is the entry page (Overview).
PAGES = [None, *sorted(f"pages/{page.name}" for page in (ROOT / "pages").glob("*.py"))]


def shown(at: AppTest) -> str:
    """Every message and text on the page, as the reader sees it."""
    parts = [e.value for kind in ("error", "warning", "info", "success", "caption", "markdown") for e in at.get(kind)]
    return " | ".join(plain(str(p)) for p in parts)


def no_traceback(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert "Traceback" not in shown(at) and "Exception" not in shown(at) and "Error:" not in shown(at)


@pytest.fixture
def far_future(tmp_path, use_database) -> Path:
    """Ordinary data, and one interaction and one answer dated 9999-12-31."""
    rows = [dict(response_id=str(i), customer_id=f"C{i % 40}", responded_at=datetime(2026, 3, 1 + i % 28),
                 survey=("nps", "csat", "ces")[i % 3], score=1 + i % 5, touchpoint="Billing") for i in range(300)]  # fmt: skip
    rows.append(dict(response_id="far", responded_at=datetime(9999, 12, 31), survey="nps", score=0))
    interactions = [dict(interaction_id=str(i), customer_id=f"C{i % 40}", occurred_at=datetime(2026, 3, 1 + i % 28),
                         touchpoint="Billing", journey_stage="support", response_time_s=60.0) for i in range(200)]  # fmt: skip
    interactions.append(dict(interaction_id="far", occurred_at=datetime(9999, 12, 31, 23, 59), touchpoint="Billing"))
    customers = [dict(customer_id=f"C{i}", segment="SMB" if i % 2 else "Enterprise") for i in range(40)]
    return use_database(build_db(tmp_path / "far.duckdb", customers, interactions, rows))


@pytest.mark.parametrize("page", PAGES)
def test_one_interaction_dated_9999_12_31_breaks_no_page(far_future, page):
    no_traceback(open_page(page))


@pytest.mark.parametrize(
    "params",
    [{"from": "0001-01-01"}, {"to": "9999-12-31"}, {"from": "0001-01-01", "to": "9999-12-31"}, {"channel": "\x00"},
     {"segment": "\x00SMB", "touchpoint": "\x00"}, {"from": "2026-12-01", "to": "2026-01-01"}],
)  # fmt: skip
@pytest.mark.parametrize("page", [None, "pages/2_Journey.py"])
def test_hostile_dates_and_values_in_a_link_show_no_traceback(far_future, page, params):
    no_traceback(open_page(page, params))


def test_a_link_far_out_of_range_says_which_dates_it_used(far_future):
    at = open_page(None, {"from": "0001-01-01", "to": "2026-03-31"})
    no_traceback(at)
    assert "The first day 0001-01-01 is outside the dates we show" in " ".join(plain(w.value) for w in at.warning)
    assert at.query_params["from"] in ("1900-01-01", ["1900-01-01"])


def test_a_reversed_period_in_a_link_is_an_error_on_the_page(far_future):
    at = open_page("pages/2_Journey.py", {"from": "2026-12-01", "to": "2026-01-01"})
    no_traceback(at)
    assert any("ends (2026-01-01) before it starts (2026-12-01)" in plain(e.value) for e in at.error)


def test_a_huge_response_target_in_a_link_is_kept_within_the_widgets_range(far_future):
    at = open_page("pages/1_Trends.py", {"metric": "response_within_target", "target_h": "99999"})
    no_traceback(at)
    assert at.number_input(key="trend_target").value == 720.0


@pytest.mark.parametrize("target", ["nan", "-1"])
def test_a_response_target_that_is_no_number_of_hours_falls_back_or_is_clamped(far_future, target):
    at = open_page("pages/1_Trends.py", {"metric": "response_within_target", "target_h": target})
    no_traceback(at)
    assert 0.25 <= at.number_input(key="trend_target").value <= 720.0


def test_a_failure_on_a_page_shows_a_plain_message_with_a_reference(tmp_path, use_database, monkeypatch):
    monkeypatch.setenv("CX_TEST_GUARD", "1")  # the guard as it runs on a real server
    broken = tmp_path / "broken.duckdb"
    broken.write_bytes(b"this is not a DuckDB file" * 100)
    use_database(broken)
    at = open_page(None)
    no_traceback(at)
    message = " ".join(plain(e.value) for e in at.error)
    assert "Something went wrong" in message and "reference" in message
    assert "duckdb" not in message.lower() and "not a valid" not in message.lower()  # no internals


def test_undo_while_another_undo_holds_the_database_says_so_plainly(demo_db, tmp_path, use_database, monkeypatch):
    path = tmp_path / "busy.duckdb"
    shutil.copy(demo_db, path)
    use_database(path)
    at = open_page("pages/4_Data.py")
    monkeypatch.setenv("CX_DB_BUSY_TIMEOUT", "1")
    from cx.store import db as cx_db

    monkeypatch.setattr(cx_db, "BUSY_TIMEOUT_S", 1.0)
    with hold_database(path, seconds=30):
        at.button(key="undo_confirm").click().run()
    no_traceback(at)
    assert any("in use by another program" in plain(w.value) for w in at.warning)
