"""Storing follow-ups: every change audited, optimistic concurrency, roles, apart from imports."""

from __future__ import annotations

import threading
from datetime import date, datetime

import duckdb
import pytest

from cx.ingest.load import undo_import
from cx.store import db
from cx.store import followups as store
from tests.conftest import build_db

ANSWERED = datetime(2026, 3, 2, 9, 0)
ALICE, BOB = store.Actor("Alice"), store.Actor("Bob")


@pytest.fixture
def database(db_file):
    return build_db(
        db_file,
        customers=[{"customer_id": "C1", "segment": "SMB"}],
        responses=[{"response_id": "R1", "customer_id": "C1", "responded_at": ANSWERED, "survey": "nps", "score": 3}],
    )


def change(version: int, **fields) -> store.ItemChange:
    return store.ItemChange("R1", version, fields, customer_id="C1", answered_at=ANSWERED)


def stored(path, sql: str, params=()):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def test_a_first_change_creates_the_item_at_version_one(database):
    saved = store.save_item(database, change(0, owner="Alice"), ALICE, now=datetime(2026, 3, 2, 10, 0))
    assert (saved["version"], saved["owner"], saved["status"], saved["updated_by"]) == (1, "Alice", "new", "Alice")
    assert stored(database, "SELECT response_id, customer_id, owner, version FROM followups") == [
        ("R1", "C1", "Alice", 1)
    ]


def test_every_change_is_audited_with_who_when_before_and_after(database):
    store.save_item(database, change(0, owner="Alice"), ALICE, now=datetime(2026, 3, 2, 10, 0))
    store.save_item(database, change(1, status="contacted", contact_channel="Phone"), BOB, now=datetime(2026, 3, 2, 11))
    history = store.history(database, "R1")
    assert [(h["version"], h["changed_by"], h["changed_at"]) for h in history] == [
        (1, "Alice", datetime(2026, 3, 2, 10, 0)),
        (2, "Bob", datetime(2026, 3, 2, 11, 0)),
    ]
    assert history[0]["before"] == {"owner": None} and history[0]["after"] == {"owner": "Alice"}
    assert history[1]["before"] == {"status": "new", "contact_channel": None, "first_contact_at": None}
    assert history[1]["after"] == {
        "status": "contacted",
        "contact_channel": "Phone",
        "first_contact_at": "2026-03-02T11:00:00",
    }


def test_a_change_from_an_old_version_is_refused_and_names_who_changed_what(database):
    store.save_item(database, change(0, notes="Called, left a message"), ALICE, now=datetime(2026, 3, 2, 10, 0))
    with pytest.raises(store.Conflict) as conflict:
        store.save_item(database, change(0, notes="Will call tomorrow"), BOB, now=datetime(2026, 3, 2, 10, 5))
    assert conflict.value.changed_by == "Alice"
    assert conflict.value.theirs == {"notes": "Called, left a message"}
    assert "Changed by Alice meanwhile at 10:00: notes" in conflict.value.message
    # nothing of Bob's change was written; Alice's stays
    assert stored(database, "SELECT notes, version FROM followups") == [("Called, left a message", 1)]
    assert len(store.history(database, "R1")) == 1


def test_after_seeing_the_conflict_the_second_editor_saves_on_top_and_both_changes_stay(database):
    store.save_item(database, change(0, owner="Alice"), ALICE, now=datetime(2026, 3, 2, 10, 0))
    with pytest.raises(store.Conflict) as conflict:
        store.save_item(database, change(0, notes="VIP"), BOB, now=datetime(2026, 3, 2, 10, 1))
    store.save_item(
        database, change(conflict.value.current["version"], notes="VIP"), BOB, now=datetime(2026, 3, 2, 10, 2)
    )
    assert stored(database, "SELECT owner, notes, version FROM followups") == [("Alice", "VIP", 2)]


def test_two_threads_saving_the_same_version_at_once_make_one_conflict_and_lose_nothing(database):
    results: dict[str, object] = {}
    barrier = threading.Barrier(2)

    def save(actor: store.Actor, notes: str) -> None:
        barrier.wait()
        try:
            results[actor.name] = store.save_item(database, change(0, notes=notes), actor)
        except store.Conflict as conflict:
            results[actor.name] = conflict

    threads = [threading.Thread(target=save, args=(who, f"note by {who.name}")) for who in (ALICE, BOB)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    conflicts = [r for r in results.values() if isinstance(r, store.Conflict)]
    assert len(conflicts) == 1
    winner = next(name for name, r in results.items() if not isinstance(r, store.Conflict))
    assert stored(database, "SELECT notes, version, updated_by FROM followups") == [(f"note by {winner}", 1, winner)]
    assert conflicts[0].changed_by == winner


def test_a_status_that_cannot_follow_is_refused_in_words(database):
    store.save_item(database, change(0, status="resolved"), ALICE, now=datetime(2026, 3, 3))
    with pytest.raises(store.InvalidChange, match="A resolved item cannot become no response; it can become Contacted"):
        store.save_item(database, change(1, status="no_response"), ALICE, now=datetime(2026, 3, 4))


def test_reaching_out_records_the_first_contact_once_and_closing_records_when(database):
    first = store.save_item(database, change(0, status="contacted"), ALICE, now=datetime(2026, 3, 2, 12))
    closed = store.save_item(database, change(1, status="resolved"), ALICE, now=datetime(2026, 3, 5, 9))
    assert first["first_contact_at"] == datetime(2026, 3, 2, 12) and first["closed_at"] is None
    assert closed["first_contact_at"] == datetime(2026, 3, 2, 12) and closed["closed_at"] == datetime(2026, 3, 5, 9)
    reopened = store.save_item(database, change(2, status="contacted"), ALICE, now=datetime(2026, 3, 6, 9))
    assert reopened["closed_at"] is None


def test_a_first_contact_before_the_answer_is_refused(database):
    with pytest.raises(store.InvalidChange, match="cannot be before the answer"):
        store.save_item(
            database,
            change(0, status="contacted", first_contact_at=datetime(2026, 3, 1, 9)),
            ALICE,
            now=datetime(2026, 3, 2, 12),
        )


def test_a_change_that_changes_nothing_writes_nothing(database):
    assert store.save_item(database, change(0, owner="  "), ALICE) is None
    assert stored(database, "SELECT count(*) FROM followups") == [(0,)]


def test_a_viewer_cannot_change_the_queue_and_nothing_is_written(database):
    viewer = store.Actor("Vera", can_edit=False)
    with pytest.raises(store.NotAllowed, match="only editors"):
        store.save_item(database, change(0, owner="Vera"), viewer)
    with pytest.raises(store.NotAllowed):
        store.record_action(database, viewer, title="x", taken_on=date(2026, 3, 1), touchpoint="Checkout")
    with pytest.raises(store.NotAllowed, match="Say who you are"):
        store.save_item(database, change(0, owner="x"), store.Actor(" "))
    assert stored(database, "SELECT count(*) FROM followups") == [(0,)]


def test_bulk_changes_skip_items_changed_meanwhile_and_say_which(database):
    with db.writing(database) as con:
        con.execute(
            "INSERT INTO responses (response_id, customer_id, responded_at, survey, score) VALUES ('R2', 'C1', ?, 'csat', 1)",
            [ANSWERED],
        )
    store.save_item(database, change(0, owner="Carol"), ALICE)
    result = store.change_items(
        database,
        [store.ItemChange("R1", 0, {"owner": "Bob"}), store.ItemChange("R2", 0, {"owner": "Bob"})],
        ALICE,
        skip_conflicts=True,
    )
    assert [r["response_id"] for r in result.saved] == ["R2"]
    assert [c.response_id for c in result.conflicts] == ["R1"]
    assert stored(database, "SELECT response_id, owner FROM followups ORDER BY 1") == [("R1", "Carol"), ("R2", "Bob")]


def test_the_sla_setting_is_versioned_and_audited(database):
    assert store.read_setting(database) == (None, 0)
    assert store.save_setting(database, {"default_hours": 24}, 0, ALICE) == 1
    with pytest.raises(store.Conflict, match="Changed by Alice meanwhile"):
        store.save_setting(database, {"default_hours": 12}, 0, BOB)
    assert store.read_setting(database) == ({"default_hours": 24}, 1)
    assert stored(database, "SELECT subject, changed_by, after FROM followup_changes") == [
        ("sla", "Alice", '{"default_hours": 24}')
    ]


def test_actions_are_recorded_checked_and_deleted_with_an_audit(database):
    action_id = store.record_action(
        database, ALICE, title="New billing page", taken_on=date(2026, 3, 3), touchpoint="Billing inquiry"
    )
    assert stored(database, "SELECT title, touchpoint, metric, recorded_by FROM followup_actions") == [
        ("New billing page", "Billing inquiry", "csat", "Alice")
    ]
    with pytest.raises(store.InvalidChange, match="which touchpoint or theme"):
        store.record_action(database, ALICE, title="Something", taken_on=date(2026, 3, 3))
    assert store.delete_action(database, action_id, BOB) is True
    assert stored(database, "SELECT count(*) FROM followup_actions") == [(0,)]
    assert stored(database, "SELECT changed_by, after IS NULL FROM followup_changes ORDER BY change_id") == [
        ("Alice", False),
        ("Bob", True),
    ]


def test_undoing_an_import_leaves_the_follow_ups_alone(database, tmp_path):
    from cx.ingest.importer import import_file

    store.save_item(database, change(0, owner="Alice", notes="Call back Friday"), ALICE)
    survey = tmp_path / "more.csv"
    survey.write_text("Response ID,Customer ID,Date,How likely are you to recommend us?\nX1,C1,2026-03-04,2\n")
    result = import_file(survey, file_name=survey.name, db=database)
    undo_import(result.import_id, database)
    assert stored(database, "SELECT response_id, owner, notes, version FROM followups") == [
        ("R1", "Alice", "Call back Friday", 1)
    ]


def test_each_change_also_writes_one_event_to_the_shared_audit_log_in_its_transaction(database):
    editor = store.Actor("ana@example.com", role="editor", via="dashboard")
    store.save_item(database, change(0, owner="Ana", notes="x"), editor)
    store.record_action(database, editor, title="New page", taken_on=date(2026, 3, 1), touchpoint="Checkout")
    assert stored(database, "SELECT who, role, action, what, rows, via FROM audit_log ORDER BY event_id") == [
        ("ana@example.com", "editor", "follow-up", "item R1: notes, owner", 1, "dashboard"),
        ("ana@example.com", "editor", "follow-up", "recorded the action 'New page'", None, "dashboard"),
    ]
