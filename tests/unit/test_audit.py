"""The audit trail: every change recorded with who, when, what and how many rows, in the change's transaction."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pytest

from cx.ingest import UndoRefused, import_file, load, undo_import
from cx.store import audit
from cx.store.audit import Actor
from tests.unit.ingest_helpers import contents

ANA = Actor("ana@example.com", "editor", "dashboard")
LEE = Actor("lee@example.com", "admin", "cli")
CUSTOMERS = b"Customer ID,Plan\nc1,Gold\nc2,Silver\nc3,Gold\n"


def logged(db) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT who, role, action, what, rows, via FROM audit_log ORDER BY event_id").fetchall()
    finally:
        con.close()


def test_an_import_is_recorded_with_who_their_role_the_file_and_the_rows_added(tmp_path):
    db = tmp_path / "cx.duckdb"
    result = import_file(CUSTOMERS, file_name="crm.csv", db=db, actor=ANA)
    assert logged(db) == [
        ("ana@example.com", "editor", "import", f"crm.csv (import #{result.import_id})", 3, "dashboard")
    ]
    history = duckdb.connect(str(db), read_only=True).execute("SELECT imported_by FROM imports").fetchall()
    assert history == [("ana@example.com",)]


def test_an_import_that_fails_half_way_leaves_no_audit_event(tmp_path, monkeypatch):
    db = tmp_path / "cx.duckdb"
    import_file(b"Customer ID,Plan\nc9,Gold\n", file_name="first.csv", db=db, actor=ANA)
    before = logged(db)

    def crash(con):
        raise RuntimeError("disk pulled out")

    monkeypatch.setattr(load, "before_commit", crash)
    with pytest.raises(RuntimeError):
        import_file(CUSTOMERS, file_name="crm.csv", db=db, actor=ANA)
    assert logged(db) == before


def test_an_undo_is_recorded_with_the_records_it_removed(tmp_path):
    db = tmp_path / "cx.duckdb"
    result = import_file(CUSTOMERS, file_name="crm.csv", db=db, actor=ANA)
    assert undo_import(result.import_id, db, actor=LEE) == 3
    assert logged(db)[-1] == ("lee@example.com", "admin", "undo", f"crm.csv (import #{result.import_id})", 3, "cli")


def test_an_editor_cannot_undo_someone_elses_import_and_nothing_changes(tmp_path):
    db = tmp_path / "cx.duckdb"
    result = import_file(CUSTOMERS, file_name="crm.csv", db=db, actor=LEE)
    before = contents(db), logged(db)
    with pytest.raises(UndoRefused, match="made by lee@example.com; an editor can undo only their own"):
        undo_import(result.import_id, db, actor=ANA, only_by="ana@example.com")
    assert (contents(db), logged(db)) == before


def test_an_editor_can_undo_their_own_import(tmp_path):
    db = tmp_path / "cx.duckdb"
    result = import_file(CUSTOMERS, file_name="crm.csv", db=db, actor=ANA)
    assert undo_import(result.import_id, db, actor=ANA, only_by="ANA@example.com") == 3


def test_an_import_without_an_actor_is_recorded_as_the_operator(tmp_path, monkeypatch):
    monkeypatch.setenv("CX_USER", "ops@example.com")
    db = tmp_path / "cx.duckdb"
    import_file(CUSTOMERS, file_name="crm.csv", db=db)
    assert logged(db)[0][:3] == ("ops@example.com", None, "import")


def test_events_are_filtered_by_day_person_action_and_words(tmp_path):
    db = tmp_path / "cx.duckdb"
    audit.record("sign-in", "Ana Lima (ana@example.com)", actor=ANA, db=db)
    audit.record("export", "nps_by_week.csv", actor=ANA, rows=52, db=db)
    audit.record("settings", "masking of e-mail: hash", actor=LEE, detail={"email": "hash"}, db=db)
    everything = audit.events(db)
    assert list(everything["action"]) == ["settings", "export", "sign-in"]  # newest first
    assert list(audit.events(db, who=["ana@example.com"])["action"]) == ["export", "sign-in"]
    assert list(audit.events(db, actions=["export"])["rows"]) == [52]
    assert list(audit.events(db, text="HASH")["who"]) == ["lee@example.com"]
    assert list(audit.events(db, text="100%")["who"]) == []  # % is a letter here, not a wildcard
    today = date.today()
    assert len(audit.events(db, start=today, end=today)) == 3
    assert audit.events(db, end=today - timedelta(days=1)).empty
    assert audit.people(db) == ["ana@example.com", "lee@example.com"]


def test_an_unknown_action_is_refused_before_anything_is_written(tmp_path):
    db = tmp_path / "cx.duckdb"
    with pytest.raises(ValueError, match='Unknown audit action "delete-everything"'):
        audit.record("delete-everything", "x", actor=ANA, db=db)
    assert not db.exists()
