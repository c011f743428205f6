"""The Follow-up page (and its figures on the Overview and Trends) under AppTest."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from cx.store import followups as store
from tests.app.conftest import open_page, signed_in
from tests.conftest import build_db

PAGE = "pages/6_Follow-up.py"
PERIOD = {"from": "2026-03-01", "to": "2026-03-31"}
COMMENT = "**Awful** [click me](http://evil.example) :red[alarm]"


def small_database(path: Path) -> Path:
    return build_db(
        path,
        customers=[{"customer_id": "C1", "name": "Northwind [Labs]", "segment": "SMB", "plan": "Pro"}],
        interactions=[
            {"interaction_id": "I1", "customer_id": "C1", "occurred_at": datetime(2026, 3, 1, 9), "revenue": 250.0,
             "touchpoint": "Checkout", "channel": "Web"},
        ],
        responses=[
            {"response_id": "R1", "customer_id": "C1", "responded_at": datetime(2026, 3, 2, 9), "survey": "nps",
             "score": 2, "comment": COMMENT},
            {"response_id": "R2", "customer_id": "C1", "responded_at": datetime(2026, 3, 3, 9), "survey": "csat",
             "score": 5},
        ],
    )  # fmt: skip


@pytest.fixture
def small(tmp_path, use_database) -> Path:
    return use_database(small_database(tmp_path / "small.duckdb"))


@pytest.fixture
def demo_copy(demo_db, tmp_path, use_database) -> Path:
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, path)
    return use_database(path)


def test_the_queue_opens_with_its_counts_and_table(demo_app_db):
    at = open_page(PAGE)
    assert not at.exception
    assert [m.label for m in at.metric] == ["Open", "Overdue", "Due within 24 h", "Open, unassigned"]
    assert any("Answered" in df.value.columns for df in at.dataframe)


def test_saving_an_item_stores_it_with_its_author_and_shows_the_version(small):
    at = open_page(PAGE, {**PERIOD, "item": "R1"})
    at.text_input(key="followup_actor_name").set_value("Priya").run()
    at.text_area(key="fu_notes_R1").set_value("Called; refund on its way.")
    at.selectbox(key="fu_status_R1").set_value("contacted")
    next(b for b in at.button if b.label == "Save").click().run()
    assert not at.exception
    assert any("Saved (version 1): Contacted." in s.value for s in at.success)
    with duckdb.connect(str(small), read_only=True) as con:
        assert con.execute("SELECT status, notes, updated_by FROM followups").fetchall() == [
            ("contacted", "Called; refund on its way.", "Priya")
        ]


def test_a_save_from_a_stale_form_says_who_changed_it_meanwhile(small):
    at = open_page(PAGE, {**PERIOD, "item": "R1"})
    at.text_input(key="followup_actor_name").set_value("Bob").run()
    store.save_item(small, store.ItemChange("R1", 0, {"owner": "Alice"}), store.Actor("Alice"))
    at.text_area(key="fu_notes_R1").set_value("Left a voicemail.")
    next(b for b in at.button if b.label == "Save").click().run()
    assert any("Changed by Alice meanwhile" in w.value for w in at.warning)
    assert at.text_area(key="fu_notes_R1").value == "Left a voicemail."  # kept
    assert at.selectbox(key="fu_owner_R1").value == "Alice"  # their change now in the form
    next(b for b in at.button if b.label == "Save").click().run()
    with duckdb.connect(str(small), read_only=True) as con:
        assert con.execute("SELECT owner, notes, version FROM followups").fetchall() == [
            ("Alice", "Left a voicemail.", 2)
        ]


def test_the_comment_and_names_from_data_are_shown_as_text_not_markup(small):
    at = open_page(PAGE, {**PERIOD, "item": "R1"})
    quoted = [m.value for m in at.markdown if "Awful" in m.value]
    assert quoted and "\\*\\*Awful\\*\\*" in quoted[0] and "\\[click me\\]" in quoted[0] and "\\:red\\[" in quoted[0]
    assert any("Northwind \\[Labs\\]" in h.value for h in at.subheader)


def test_did_it_work_shows_three_figures_each_with_n_and_a_range(demo_app_db):
    at = open_page(PAGE, {"view": "results"})
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert labels[:3] == ["Followed up within SLA", "Recovered after a follow-up", "Churn, contacted vs not"]
    captions = " ".join(c.value for c in at.caption)
    assert captions.count("95% range") >= 3
    assert any("Observational comparison, not proof" in c.value for c in at.caption)


def test_the_overview_shows_the_closing_the_loop_figures(demo_app_db):
    at = open_page()
    assert not at.exception
    assert "Closing the loop" in [s.value for s in at.subheader]
    assert "Churn, contacted vs not" in [m.label for m in at.metric]


def test_an_action_is_marked_on_its_touchpoint_trend_with_its_before_after_test(demo_copy):
    store.record_action(demo_copy, store.Actor("Priya"), title="New <b>billing</b> page", taken_on=date(2026, 6, 1),
                        touchpoint="Checkout")  # fmt: skip
    at = open_page("pages/1_Trends.py", {"metric": "csat", "touchpoint": "Checkout", "from": "2026-01-01",
                                         "to": "2026-10-31"})  # fmt: skip
    assert not at.exception
    layout = json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]
    assert [a["text"] for a in layout["annotations"]] == ["New &lt;b&gt;billing&lt;/b&gt; page"]  # escaped
    assert [s["x0"] for s in layout["shapes"]] == ["2026-06-01T00:00:00"]
    notes = [c.value for c in at.caption if "CSAT at Checkout" in c.value]
    assert notes and "before" in notes[0] and "after" in notes[0]


def test_recording_an_action_needs_a_touchpoint_or_a_theme(small):
    at = open_page(PAGE, {"view": "actions"})
    at.text_input(key="followup_actor_name").set_value("Priya").run()
    next(t for t in at.text_input if t.label == "What was done").set_value("New checkout")
    next(b for b in at.button if b.label == "Record").click().run()
    assert any("Say which touchpoint or theme" in e.value for e in at.error)


@pytest.fixture
def roles(tmp_path, monkeypatch):
    path = tmp_path / "roles.toml"
    path.write_text('[roles]\nviewer = ["vic@example.com"]\neditor = ["ana@example.com"]\n')
    monkeypatch.setenv("CX_ROLES", str(path))
    return path


def test_a_signed_in_viewer_sees_the_item_but_gets_no_form(small, roles):
    at = open_page(PAGE, {**PERIOD, "item": "R1"}, user=signed_in("vic@example.com"))
    assert not at.exception
    assert not [b for b in at.button if b.label == "Save"]
    assert any("only editors can change it" in i.value for i in at.info)


def test_a_signed_in_editor_saves_under_their_own_address_with_their_role_in_the_audit_log(small, roles):
    at = open_page(PAGE, {**PERIOD, "item": "R1"}, user=signed_in("ana@example.com"))
    assert not [t for t in at.text_input if t.key == "followup_actor_name"]  # sign-in says who it is
    at.text_area(key="fu_notes_R1").set_value("Spoke to the account owner.")
    next(b for b in at.button if b.label == "Save").click().run()
    with duckdb.connect(str(small), read_only=True) as con:
        assert con.execute("SELECT updated_by FROM followups").fetchall() == [("ana@example.com",)]
        assert con.execute("SELECT who, role, action FROM audit_log WHERE action = 'follow-up'").fetchall() == [
            ("ana@example.com", "editor", "follow-up")
        ]


def test_saving_the_sla_changes_the_due_dates_and_is_versioned(small):
    at = open_page(PAGE, {**PERIOD, "view": "sla"})
    assert not at.exception
    at.number_input[0].set_value(12.0)
    next(b for b in at.button if b.label == "Save the SLA").click().run()
    assert not at.exception
    with duckdb.connect(str(small), read_only=True) as con:
        value, version = con.execute("SELECT value, version FROM followup_settings WHERE name = 'sla'").fetchone()
    assert json.loads(value)["default_hours"] == 12.0 and version == 1
    queue = open_page(PAGE, {**PERIOD, "item": "R1"})
    assert any("Overdue: due 02 Mar 2026, 21:00" in e.value for e in queue.error)  # answered 09:00, + 12 h
