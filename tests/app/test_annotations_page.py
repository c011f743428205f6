"""Annotations on the Trends page: the dotted line and its label on the chart, the before/after sentence,
the list with author and date, and adding one through the form (stored, audited)."""

from __future__ import annotations

from datetime import date

from cx.store import annotations, db
from tests.app.conftest import headlines, open_page, plain
from tests.unit.test_annotations import EVENT, incident_db

PARAMS = {"metric": "csat", "grain": "week", "from": "2026-06-01", "to": "2026-07-31"}


def trend_spec(at) -> str:
    return next(c.proto.spec for c in at.get("plotly_chart") if "trend_chart" in c.proto.id)


def test_an_annotation_shows_on_the_trend_with_a_test_across_it(tmp_path, use_database):
    path = use_database(incident_db(tmp_path / "cx.duckdb"))
    annotations.add("csat", EVENT, "New billing system live", "ana@example.com", path)
    at = open_page("pages/1_Trends.py", PARAMS)
    assert not at.exception
    assert any(h.startswith("Across “New billing system live” (1 Jul 2026): CSAT 50% in the 28 days from then, down "
                            "30.0 pts on the 28 days before (±20.9), n = 40.") for h in headlines(at))  # fmt: skip
    assert "New billing system live" in trend_spec(at)
    listed = " ".join(plain(m.value) for m in at.markdown)
    assert "01 Jul 2026 · New billing system live · on CSAT · by ana@example.com" in listed


def test_an_annotation_of_another_metric_is_not_drawn(tmp_path, use_database):
    path = use_database(incident_db(tmp_path / "cx.duckdb"))
    annotations.add("nps", EVENT, "Survey reworded", "ana@example.com", path)
    at = open_page("pages/1_Trends.py", PARAMS)
    assert "Survey reworded" not in trend_spec(at)
    assert not any(h.startswith("Across") for h in headlines(at))


def test_adding_an_annotation_stores_it_with_its_author_and_audits_it(tmp_path, use_database):
    path = use_database(incident_db(tmp_path / "cx.duckdb"))
    at = open_page("pages/1_Trends.py", PARAMS)
    at.date_input(key="cx_annotation_day").set_value(date(2026, 7, 1))
    at.text_input(key="cx_annotation_label").input("New billing system live")
    next(b for b in at.button if b.label == "Add annotation").click().run()
    assert not at.exception
    con = db.connect(path, read_only=True)
    try:
        stored = con.execute("SELECT metric, day, label, author FROM annotations").fetchall()
        audited = con.execute("SELECT what FROM audit_log WHERE action = 'annotation'").fetchall()
    finally:
        con.close()
    assert len(stored) == 1 and stored[0][:3] == ("csat", date(2026, 7, 1), "New billing system live")
    assert stored[0][3]  # the local user's name (or the signed-in e-mail)
    assert audited == [("added: New billing system live (2026-07-01)",)]
    assert "New billing system live" in trend_spec(at)
    assert any(h.startswith("Across “New billing system live”") for h in headlines(at))
