"""The Audit page: admins only; the log filtered by person, action and words; exporting it is itself audited."""

from __future__ import annotations

from pathlib import Path

import pytest

from cx.ingest import import_file, undo_import
from cx.store import audit
from cx.store.audit import Actor
from tests.app.conftest import open_page, signed_in

ROLES = '[roles]\nviewer = ["vic@example.com"]\neditor = ["ana@example.com"]\nadmin = ["lee@example.com"]\n'
ANA, LEE = Actor("ana@example.com", "editor"), Actor("lee@example.com", "admin", "cli")


@pytest.fixture
def database(tmp_path, use_database, monkeypatch) -> Path:
    roles = tmp_path / "roles.toml"
    roles.write_text(ROLES)
    monkeypatch.setenv("CX_ROLES", str(roles))
    path = tmp_path / "cx.duckdb"
    done = import_file(b"Customer ID,Plan\nc1,Gold\nc2,Silver\n", file_name="crm.csv", db=path, actor=ANA)
    undo_import(done.import_id, path, actor=LEE)
    audit.record("export", "nps_by_week.csv", actor=ANA, rows=52, db=path)
    return use_database(path)


def audit_page(email: str = "lee@example.com"):
    return open_page("pages/7_Audit.py", user=signed_in(email))


def log_table(at):
    return next(df.value for df in at.dataframe if "Action" in df.value.columns)


def test_an_admin_sees_every_event_newest_first_with_who_and_rows(database):
    at = audit_page()
    assert not at.exception and not at.error
    log = log_table(at)
    assert list(log["Action"]) == ["sign-in", "export", "undo", "import"]  # opening the page signed Lee in
    assert list(log["Who"]) == ["lee@example.com", "ana@example.com", "lee@example.com", "ana@example.com"]
    assert list(log["Rows"])[1:] == [52, 2, 2]
    assert list(log["Through"]) == ["dashboard", "dashboard", "cli", "dashboard"]


@pytest.mark.parametrize("email", ["ana@example.com", "vic@example.com"])
def test_editors_and_viewers_cannot_open_the_audit_log(database, email):
    at = audit_page(email)
    assert at.error and "needs the admin role" in at.error[0].value.replace("\\", "")
    assert not at.dataframe and not at.download_button


def test_the_log_filters_by_person_action_and_words(database):
    at = audit_page()
    at.multiselect(key="audit_who").set_value(["ana@example.com"]).run()
    assert set(log_table(at)["Who"]) == {"ana@example.com"}
    at.multiselect(key="audit_actions").set_value(["import"]).run()
    assert list(log_table(at)["What"]) == ["crm.csv (import #1)"]
    at.multiselect(key="audit_actions").set_value([]).run()
    at.text_input(key="audit_text").set_value("nps_by").run()
    assert list(log_table(at)["What"]) == ["nps_by_week.csv"]


def test_downloading_the_log_is_itself_in_the_log(database):
    at = audit_page()
    rows_before = len(log_table(at))
    at.download_button(key="audit_download").click().run()
    newest = audit.events(database, actions=["export"]).iloc[0]
    assert newest["who"] == "lee@example.com" and newest["what"].startswith("audit-")
    assert newest["rows"] == rows_before


def test_the_page_shows_who_has_which_role(database):
    at = audit_page()
    access = next(df.value for df in at.dataframe if "Sees" in df.value.columns)
    assert dict(zip(access["Who"], access["Role"], strict=True)) == {
        "ana@example.com": "editor", "lee@example.com": "admin", "vic@example.com": "viewer"}  # fmt: skip
