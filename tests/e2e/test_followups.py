"""The follow-up queue in a real browser: two people on one item, overdue items, imports and undo around it."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import build_db
from tests.e2e.conftest import Server, app_errors, screenshot, wait_for_app

pytestmark = pytest.mark.e2e

NAME = "Your name (recorded with every change)"


def open_item(database: Path) -> str:
    """A recent unhappy answer nobody has touched yet."""
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(
            """SELECT r.response_id FROM responses r LEFT JOIN followups f USING (response_id)
               WHERE f.response_id IS NULL AND r.customer_id IS NOT NULL AND r.survey = 'nps' AND r.score <= 6
                 AND r.responded_at >= (SELECT max(responded_at) - INTERVAL 20 DAY FROM responses)
               ORDER BY r.responded_at DESC LIMIT 1"""
        ).fetchone()[0]


def stored_item(database: Path, response_id: str) -> tuple | None:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(
            "SELECT notes, owner, status, version, updated_by FROM followups WHERE response_id = ?", [response_id]
        ).fetchone()


def sign(page: Page, name: str) -> None:
    field = page.locator("[data-testid='stSidebar'] input[aria-label='" + NAME + "']")
    field.fill(name)
    field.press("Enter")
    page.get_by_label("Notes").wait_for(timeout=60_000)
    wait_for_app(page)


def save(page: Page) -> None:
    page.get_by_role("button", name="Save").click()
    wait_for_app(page)


@pytest.fixture
def served(demo_db, tmp_path):
    database = tmp_path / "followups.duckdb"
    shutil.copy(demo_db, database)
    server = Server(database).start()
    yield server, database
    server.stop()


def test_two_people_editing_one_item_get_a_conflict_message_and_lose_nothing(served, browser: Browser):
    server, database = served
    response_id = open_item(database)
    contexts = [browser.new_context(viewport={"width": 1500, "height": 1000}) for _ in range(2)]
    try:
        alice, bob = (context.new_page() for context in contexts)
        for page, name in ((alice, "Alice"), (bob, "Bob")):
            page.goto(f"{server.url}/Follow-up?item={response_id}")
            wait_for_app(page)
            sign(page, name)

        alice.get_by_label("Notes").fill("Called, she wants a refund.")
        save(alice)
        expect(alice.get_by_text("Saved (version 1)")).to_be_visible()

        # Bob's form still shows version 0: his save must not overwrite Alice's note.
        bob.get_by_label("Notes").fill("Sent the refund form.")
        save(bob)
        expect(bob.get_by_text("Changed by Alice meanwhile")).to_be_visible()
        assert stored_item(database, response_id)[0] == "Called, she wants a refund."
        # Both notes are in Bob's form now, his own kept after hers.
        assert bob.get_by_label("Notes").input_value() == "Called, she wants a refund.\nSent the refund form."
        screenshot(bob, "followup-conflict")

        save(bob)
        expect(bob.get_by_text("Saved (version 2)")).to_be_visible()
        notes, _, _, version, updated_by = stored_item(database, response_id)
        assert (notes, version, updated_by) == ("Called, she wants a refund.\nSent the refund form.", 2, "Bob")
        assert app_errors(alice) == app_errors(bob) == []
    finally:
        for context in contexts:
            context.close()


def test_an_overdue_item_is_flagged(tmp_path, page: Page):
    now = datetime.now().replace(microsecond=0)
    database = build_db(
        tmp_path / "overdue.duckdb",
        customers=[{"customer_id": "C1", "name": "Late Ltd", "segment": "SMB"}],
        responses=[
            {"response_id": "OLD", "customer_id": "C1", "responded_at": now - timedelta(days=3), "survey": "nps",
             "score": 2, "comment": "Nobody called back"},
            {"response_id": "FRESH", "customer_id": "C1", "responded_at": now - timedelta(hours=2), "survey": "csat",
             "score": 1},
        ],
    )  # fmt: skip
    server = Server(database).start()
    try:
        page.goto(f"{server.url}/Follow-up?item=OLD")
        wait_for_app(page)
        overdue = page.locator("[data-testid='stMetric']").filter(has_text="Overdue")
        assert overdue.locator("[data-testid='stMetricValue']").inner_text() == "1"
        expect(page.get_by_text("Overdue: due")).to_be_visible()
        assert app_errors(page) == []
        screenshot(page, "followup-overdue")
        page.goto(f"{server.url}/Follow-up?item=FRESH")
        wait_for_app(page)
        expect(page.get_by_text("Overdue: due")).to_have_count(0)
        expect(page.get_by_text("(24 h SLA)").or_(page.get_by_text("(48 h SLA)"))).to_be_visible()
    finally:
        server.stop()


def test_the_queue_survives_an_import_and_an_undo_of_unrelated_data(served, tmp_path, page: Page):
    server, database = served
    response_id = open_item(database)
    page.goto(f"{server.url}/Follow-up?item={response_id}")
    wait_for_app(page)
    sign(page, "Priya")
    page.get_by_label("Notes").fill("Promised a call back on Friday.")
    save(page)
    expect(page.get_by_text("Saved (version 1)")).to_be_visible()

    survey = tmp_path / "unrelated.csv"
    survey.write_text(
        "Response ID,Date,How likely are you to recommend us to a friend or colleague?\n"
        + "\n".join(f"U-{i},2026-05-{i + 1:02d},{i % 11}" for i in range(20))
        + "\n"
    )
    page.goto(f"{server.url}/Data")
    wait_for_app(page)
    page.locator("input[type='file']").set_input_files(str(survey))
    page.get_by_role("button", name="Import unrelated.csv").click()
    page.get_by_text("imported +", exact=False).first.wait_for(timeout=60_000)
    wait_for_app(page)
    # Choose the import explicitly: the box keeps whatever it pointed at before this import.
    box = page.locator("[data-testid='stSelectbox']").filter(has_text="Undo an import").locator("input")
    box.click()
    box.fill("unrelated")
    page.keyboard.press("Enter")
    wait_for_app(page)
    page.get_by_role("button", name="Undo…").click()
    page.get_by_role("button", name="Yes, undo it").click()
    page.get_by_text("undone:", exact=False).first.wait_for(timeout=60_000)
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM responses WHERE response_id LIKE 'U-%'").fetchone()[0] == 0

    page.goto(f"{server.url}/Follow-up?item={response_id}")
    wait_for_app(page)
    sign(page, "Priya")
    assert page.get_by_label("Notes").input_value() == "Promised a call back on Friday."
    assert stored_item(database, response_id)[:2] == ("Promised a call back on Friday.", None)
    assert app_errors(page) == []
