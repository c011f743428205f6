"""The Data page under AppTest: upload, check, import, re-import, refuse, undo."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import ROOT, open_page

SURVEY = (
    b"Respondent,Date,How likely are you to recommend us to a friend or colleague?,Comment\n"
    b'1,2026-11-20,10,"Great; really ""great"""\n2,2026-11-21,3,=HYPERLINK("x")\n3,2026-11-21,11,bad\n'
)


@pytest.fixture
def database(demo_db, tmp_path, use_database) -> Path:
    path = tmp_path / "cx.duckdb"
    shutil.copy(demo_db, path)
    return use_database(path)


def data_page() -> AppTest:
    return open_page("pages/4_Data.py")


def upload(at: AppTest, name: str, content: bytes) -> AppTest:
    return at.file_uploader(key="uploads").set_value([(name, content, "text/csv")]).run()


def import_button(at: AppTest):
    return next(b for b in at.button if b.label.startswith("Import "))


def stored_responses(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT count(*) FROM responses").fetchone()[0]


def test_upload_shows_what_was_detected_and_what_will_be_rejected(database):
    at = upload(data_page(), "survey.csv", SURVEY)
    assert not at.exception
    assert any("**3 rows** read as **a survey responses file**" in md.value for md in at.markdown)
    assert any("rejected" in w.value for w in at.warning)
    reports = [df.value for df in at.dataframe if "reason" in df.value.columns]
    assert reports and "outside the NPS scale" in " ".join(reports[0]["reason"].astype(str))


def test_import_reports_counts_and_reimport_adds_nothing(database):
    before = stored_responses(database)
    at = upload(data_page(), "survey.csv", SURVEY)
    import_button(at).click().run()
    assert not at.exception
    assert [m.value for m in at.metric] == ["2", "0", "1"]
    assert stored_responses(database) == before + 2

    again = upload(data_page(), "survey.csv", SURVEY)
    import_button(again).click().run()
    assert [m.value for m in again.metric] == ["0", "2", "1"]
    assert stored_responses(database) == before + 2


def test_an_html_page_saved_as_csv_is_refused_with_a_message(database):
    at = upload(
        data_page(), "export.csv", b"<!DOCTYPE html><html><body><table><tr><td>1</td></tr></table></body></html>"
    )
    assert not at.exception
    assert at.error and "HTML" in at.error[0].value
    assert not [b for b in at.button if b.label.startswith("Import ")]


def test_undo_removes_exactly_the_rows_of_that_import(database):
    before = stored_responses(database)
    at = upload(data_page(), "survey.csv", SURVEY)
    import_button(at).click().run()
    assert stored_responses(database) == before + 2
    at = data_page()
    with duckdb.connect(str(database), read_only=True) as con:
        latest = con.execute("SELECT max(import_id) FROM imports").fetchone()[0]
    at.selectbox(key="undo_pick").set_value(latest).run()
    at.button(key="undo_confirm").click().run()
    assert not at.exception
    assert stored_responses(database) == before
    assert any("undone" in s.value for s in at.success)


def test_rejected_rows_of_a_command_line_import_can_be_downloaded_on_the_page(database):
    survey = database.with_name("survey.csv")
    survey.write_bytes(SURVEY)
    subprocess.run([sys.executable, "-m", "cx", "import", str(survey), "--db", str(database)], check=True, cwd=ROOT)
    at = data_page()
    assert not at.exception
    picker = at.selectbox(key="rejects_pick")
    assert picker.options == [next(o for o in picker.options if "survey.csv (1 rejected)" in o)]
    assert any("rejects_history" in str(d.proto.id) for d in at.get("download_button"))
