"""Who sees what, under AppTest: local mode, the sign-in screen, and each role on each page, deep links included."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from cx.analysis import metrics
from cx.analysis.filters import Filters
from cx.app import ui
from cx.ingest import import_file
from cx.store import db
from cx.store.audit import Actor
from tests.app.conftest import open_page, plain, signed_in

ROLES = """
[roles]
viewer = ["vic@example.com"]
editor = ["ana@example.com", "eve@example.com"]
admin  = ["lee@example.com"]

[groups]
editor = ["cx-editors"]
"""


@pytest.fixture
def database(tmp_path, use_database, monkeypatch) -> Path:
    """Two imports, one by an editor and one by an admin; and the roles file above."""
    roles = tmp_path / "roles.toml"
    roles.write_text(ROLES)
    monkeypatch.setenv("CX_ROLES", str(roles))
    path = tmp_path / "cx.duckdb"
    survey = b"Respondent,Customer,Date,NPS\nr1,c1,2026-01-05,9\nr2,c2,2026-01-06,3\n"
    import_file(survey, file_name="ana-survey.csv", db=path, actor=Actor("ana@example.com", "editor"))
    import_file(b"Customer ID,Plan\nc1,Gold\nc2,Silver\n", file_name="lee-crm.csv", db=path,
                actor=Actor("lee@example.com", "admin"))  # fmt: skip
    return use_database(path)


def captions(at) -> str:
    """The captions as read on screen (without the escaping backslashes)."""
    return " | ".join(plain(c.value) for c in at.caption)


def links(at) -> list[str]:
    return [link.proto.label for link in at.get("page_link")]


def audit_rows(path: Path) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            "SELECT who, role, action, what FROM audit_log WHERE via = 'dashboard' ORDER BY event_id"
        ).fetchall()


def test_without_sign_in_configured_the_one_local_user_is_admin_and_the_sidebar_says_so(database):
    at = open_page("pages/4_Data.py")
    assert not at.exception and not at.error
    assert "local mode: everyone is admin" in captions(at)
    assert at.get("file_uploader")  # the import controls are there
    assert "Data" in links(at)


def test_with_sign_in_configured_nobody_signed_in_sees_only_the_sign_in_button(database):
    at = open_page(user={"is_logged_in": False})
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.metric and not links(at)


def test_a_viewer_sees_the_figures_but_no_link_to_the_data_page(database):
    at = open_page(user=signed_in("vic@example.com"))
    assert not at.exception and not at.error
    assert at.metric
    assert "Data" not in links(at) and "Overview" in links(at)
    assert "Signed in as Vic (vic@example.com) · **viewer**" in captions(at)


def test_a_viewer_following_a_deep_link_to_the_data_page_is_refused_and_sees_no_controls(database):
    at = open_page("pages/4_Data.py", user=signed_in("vic@example.com"))
    assert not at.exception
    assert [plain(e.value) for e in at.error] == [
        "Vic (vic@example.com) is a viewer; the Data page needs the editor role. Ask an admin if you should have it."
    ]
    assert not at.get("file_uploader") and not at.selectbox and not at.get("popover")
    assert ("vic@example.com", "viewer", "refused", "opening the Data page") in audit_rows(database)


def test_every_page_that_needs_more_than_viewer_refuses_a_viewer(database):
    for page, needs in ui.PAGE_NEEDS.items():
        at = open_page(page, user=signed_in("vic@example.com"))
        assert at.error and f"needs the {needs} role" in at.error[0].value.replace("\\", ""), page


def test_an_editor_is_offered_to_undo_their_own_import_only(database):
    at = open_page("pages/4_Data.py", user=signed_in("ana@example.com"))
    assert not at.exception and not at.error
    [undo] = [s for s in at.selectbox if s.label == "Undo an import"]
    assert undo.options == ["#1 · ana-survey.csv (2 rows)"]
    assert "You can undo only the imports you made yourself" not in captions(at)


def test_an_editor_with_no_import_of_their_own_is_told_why_there_is_nothing_to_undo(database):
    at = open_page("pages/4_Data.py", user=signed_in("eve@example.com"))
    assert not [s for s in at.selectbox if s.label == "Undo an import"]
    assert "You can undo only the imports you made yourself; an admin can undo any import." in captions(at)


def test_an_admin_may_undo_any_import(database):
    at = open_page("pages/4_Data.py", user=signed_in("lee@example.com"))
    [undo] = [s for s in at.selectbox if s.label == "Undo an import"]
    assert len(undo.options) == 2


def test_a_role_can_come_from_the_groups_claim(database):
    at = open_page("pages/4_Data.py", user=signed_in("sam@elsewhere.org", groups=["cx-editors"]))
    assert not at.error and at.get("file_uploader")


def test_an_address_the_provider_has_not_verified_gives_no_role(database):
    at = open_page(user=signed_in("lee@example.com", email_verified=False))
    assert at.error and "has not given you a role yet" in at.error[0].value
    assert not at.metric


def test_someone_the_roles_file_does_not_name_is_told_to_ask_an_admin(database):
    at = open_page(user=signed_in("stranger@elsewhere.org"))
    assert at.error and "has not given you a role yet" in at.error[0].value
    assert not at.metric and not links(at)


def test_a_broken_roles_file_locks_everyone_out_with_the_reason(database, tmp_path, monkeypatch):
    broken = tmp_path / "broken.toml"
    broken.write_text('[roles]\nboss = ["lee@example.com"]\n')
    monkeypatch.setenv("CX_ROLES", str(broken))
    at = open_page(user=signed_in("lee@example.com"))
    assert at.error and "nobody can sign in until it is fixed" in at.error[0].value
    assert not at.metric


def test_a_sign_in_is_recorded_once_per_session(database):
    at = open_page(user=signed_in("vic@example.com"))
    at.run()
    assert [row for row in audit_rows(database) if row[2] == "sign-in"] == [
        ("vic@example.com", "viewer", "sign-in", "Vic (vic@example.com)")
    ]


@pytest.fixture
def demo_copy(demo_db, tmp_path, use_database) -> Path:
    """A copy of the demo: signing in writes to the audit trail, and the session's demo is shared."""
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, path)
    return use_database(path)


@pytest.fixture
def europe_viewer(demo_copy, tmp_path, monkeypatch) -> dict:
    roles = tmp_path / "scoped.toml"
    roles.write_text('[roles]\nviewer = ["vic@example.com"]\n[scopes.viewer]\nregion = ["Europe"]\n')
    monkeypatch.setenv("CX_ROLES", str(roles))
    return signed_in("vic@example.com")


def test_a_viewer_limited_to_europe_sees_european_figures_and_the_filter_says_europe(europe_viewer, demo_copy):
    at = open_page(user=europe_viewer)
    assert not at.exception
    region = next(m for m in at.multiselect if m.label == "Region")
    assert region.value == ["Europe"] and region.options == ["Europe"]
    assert "You see only: Region: Europe" in captions(at)
    filters = Filters.from_query_params({"from": at.query_params["from"], "to": at.query_params["to"]})
    with db.reading(demo_copy) as backend:
        europe = metrics.summary(backend, "nps", filters.with_values(region=["Europe"]))
        everyone = metrics.summary(backend, "nps", filters)
    assert europe.current.n < everyone.current.n
    assert at.metric[0].value == metrics.METRICS["nps"].format(europe.current.value)
    assert f"n = {europe.current.n:,} responses" in captions(at)


def test_a_link_asking_for_another_region_still_shows_only_the_scope(europe_viewer):
    at = open_page(params={"region": "APAC"}, user=europe_viewer)
    assert next(m for m in at.multiselect if m.label == "Region").value == ["Europe"]


@pytest.mark.parametrize("page", ["pages/1_Trends.py", "pages/2_Journey.py", "pages/3_Segments.py"])
def test_every_figure_page_works_for_a_scoped_viewer(europe_viewer, page):
    at = open_page(page, user=europe_viewer)
    assert not at.exception and not at.error
