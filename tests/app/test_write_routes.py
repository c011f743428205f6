"""A viewer changes nothing by any route: every button that writes, clicked from a session whose person has
just become a viewer (as a replayed widget message would arrive), leaves the data as it was."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from cx.ingest import import_file
from cx.store.audit import Actor
from tests.app.conftest import open_page, signed_in

ROLES = '[roles]\nviewer = ["vic@example.com"]\neditor = ["ana@example.com"]\nadmin = ["lee@example.com"]\n'
SURVEY = (
    b"Respondent,Customer,Date,NPS,Comment\n"
    b"r1,c1,2026-01-05,3,The refund took weeks\n"
    b"r2,c2,2026-01-06,9,Quick and friendly\n"
    b"r3,c1,2026-01-07,2,Still waiting for my refund\n"
)
VIEWER = signed_in("vic@example.com")


@pytest.fixture
def database(tmp_path, use_database, monkeypatch) -> Path:
    roles = tmp_path / "roles.toml"
    roles.write_text(ROLES)
    monkeypatch.setenv("CX_ROLES", str(roles))
    path = tmp_path / "cx.duckdb"
    import_file(SURVEY, file_name="ana-survey.csv", db=path, actor=Actor("ana@example.com", "editor"))
    return use_database(path)


def data(path: Path) -> dict[str, list[tuple]]:
    """Everything a write could change, the audit trail aside."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = {
            "imports": "SELECT import_id, status FROM imports",
            "responses": "SELECT response_id, comment FROM responses",
            "themes": "SELECT name, source FROM themes",
            "theme_rules": "SELECT name, keywords FROM theme_rules",
            "theme_names": "SELECT terms, name FROM theme_names",
            "settings": "SELECT key, value FROM settings",
        }
        return {name: sorted(con.execute(sql).fetchall()) for name, sql in tables.items()}


def pinned_rule(at: AppTest) -> AppTest:
    at.text_input(key="cm_rule_name").input("Refunds")
    at.text_input(key="cm_rule_words").input("refund")
    return at.button(key="cm_rule_go").click().run()


def rename_ready(at: AppTest) -> AppTest:
    at = pinned_rule(at)
    at.text_input(key="cm_rename_name").input("Money back")
    return at


def undo_ready(at: AppTest) -> AppTest:
    return at  # the confirm button is drawn inside the popover already


def rules_changed(at: AppTest) -> AppTest:
    at.selectbox(key="rule_email").select("keep")
    return at.run()


# (page, who prepares the click, what they do before it, the button's key)
ROUTES: dict[str, tuple[str, str, Callable[[AppTest], AppTest], str]] = {
    "undo an import": ("pages/4_Data.py", "ana@example.com", undo_ready, "undo_confirm"),
    "pin a theme rule": ("pages/5_Comments.py", "ana@example.com", lambda at: at, "cm_rule_go"),
    "rename a theme": ("pages/5_Comments.py", "ana@example.com", rename_ready, "cm_rename_go"),
    "remove a theme rule": ("pages/5_Comments.py", "ana@example.com", pinned_rule, "cm_rule_remove_Refunds"),
    "recompute the themes": ("pages/5_Comments.py", "ana@example.com", lambda at: at, "cm_recompute"),
    "change the personal data rules": ("pages/7_Audit.py", "lee@example.com", rules_changed, "save_rules"),
}


@pytest.mark.parametrize("route", list(ROUTES))
def test_a_viewer_clicking_a_button_that_writes_changes_nothing(database, route):
    page, preparer, prepare, key = ROUTES[route]
    at = open_page(page, user=signed_in(preparer))
    if key.startswith("cm_"):
        at.text_input(key="cm_rule_words")  # the theme controls are there for an editor
    at = prepare(at)
    assert not at.exception
    assert at.button(key=key), f"{preparer} is offered the button"
    if key == "cm_rule_go":
        at.text_input(key="cm_rule_name").input("Refunds")
        at.text_input(key="cm_rule_words").input("refund")
    before = data(database)
    at.user = VIEWER  # from now on, the session's messages come from a viewer
    at.button(key=key).click().run()
    assert not at.exception
    assert data(database) == before
    assert not at.success, "no success message for a viewer"


def test_the_same_clicks_by_their_owners_do_change_the_data(database):
    """The routes above are real writes: the editor's pin and the admin's rules change what is stored."""
    before = data(database)
    at = pinned_rule(open_page("pages/5_Comments.py", user=signed_in("ana@example.com")))
    assert not at.exception
    assert data(database)["theme_rules"] == [("Refunds", '["refund"]')] != before["theme_rules"]
    at = rules_changed(open_page("pages/7_Audit.py", user=signed_in("lee@example.com")))
    at.button(key="save_rules").click().run()
    assert not at.exception
    assert data(database)["settings"] != before["settings"]
