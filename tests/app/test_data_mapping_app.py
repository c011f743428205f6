"""The Data page under AppTest: the mapping table is always there, a row fixes a file, a saved mapping comes back."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import open_page

# Nothing in these headers says what "Q7" is: the guess cannot store the file, the user can.
JANUARY = b"Ref,Submitted,Q7\n" + b"".join(
    b"r%d,2024-05-%02d,%d\n" % (n, n % 28 + 1, [5, 4, 2, 5, 1][n % 5]) for n in range(40)
)
FEBRUARY = b"Ref,Submitted,Q7\n" + b"".join(
    b"f%d,2024-06-%02d,%d\n" % (n, n % 28 + 1, [5, 5, 3][n % 3]) for n in range(30)
)


@pytest.fixture
def database(tmp_path, use_database) -> Path:
    return use_database(tmp_path / "cx.duckdb")


def upload(at: AppTest, name: str, content: bytes) -> AppTest:
    return at.file_uploader(key="uploads").set_value([(name, content, "text/csv")]).run()


def field_widget(at: AppTest, name: str, content: bytes, column: int):
    return at.selectbox(key=f"field_{hashlib.md5(name.encode()).hexdigest()[:8]}_{len(content)}_{column}")


def import_button(at: AppTest):
    return next(b for b in at.button if b.label.startswith("Import "))


def csat(path: Path) -> tuple[int, float]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            "SELECT count(*), 100 * avg((score >= 4)::INT) FROM responses WHERE survey = 'csat'"
        ).fetchone()


def test_the_dead_end_offers_the_field_a_columns_values_fit_and_one_click_takes_it(database):
    at = upload(open_page("pages/4_Data.py"), "survey.csv", JANUARY)
    offers = [b for b in at.button if b.label.startswith("Store as")]
    assert [b.label for b in offers] == ["Store as CSAT score (1–5)"]  # only Q7: "Ref" and the dates fit no scale
    offers[0].click().run()
    assert not at.exception and not at.error
    assert field_widget(at, "survey.csv", JANUARY, 2).value == "csat_score"
    assert any("CSAT 60.0% on 40 answers" in m.value for m in at.markdown)
    assert not import_button(at).disabled
    assert not [b for b in at.button if b.label.startswith("Store as")]  # taken: no longer offered


def test_a_file_the_guess_cannot_store_shows_its_mapping_table_and_one_row_fixes_it(database):
    at = upload(open_page("pages/4_Data.py"), "survey.csv", JANUARY)
    assert not at.exception
    assert at.error and "No column of" in at.error[0].value and "in the mapping table" in at.error[0].value
    assert import_button(at).disabled
    row = field_widget(at, "survey.csv", JANUARY, 2)
    assert row.value == "ignore" and "CSAT score (1–5)" in row.options
    row.set_value("csat_score").run()
    assert not at.exception and not at.error
    assert field_widget(at, "survey.csv", JANUARY, 2).value == "csat_score"
    assert any("CSAT 60.0% on 40 answers" in m.value for m in at.markdown)
    import_button(at).click().run()
    assert [m.value for m in at.metric] == ["40", "0", "0"]
    assert csat(database) == (40, pytest.approx(60.0))


def test_a_saved_mapping_is_proposed_for_the_next_file_with_the_same_headers(database):
    at = upload(open_page("pages/4_Data.py"), "survey.csv", JANUARY)
    field_widget(at, "survey.csv", JANUARY, 2).set_value("csat_score").run()
    at.text_input(key=f"save_name_{hashlib.md5(b'survey.csv').hexdigest()[:8]}_{len(JANUARY)}").input(
        "Monthly Q7"
    )  # inside a form: the name is sent with the submit, not before
    next(b for b in at.button if b.label == "Save mapping").click().run()
    assert any("Saved as" in t.value for t in at.toast)

    at = upload(open_page("pages/4_Data.py"), "survey_june.csv", FEBRUARY)
    assert not at.exception
    assert any("Monthly Q7" in i.value and "was applied" in i.value for i in at.info)
    assert field_widget(at, "survey_june.csv", FEBRUARY, 2).value == "csat_score"
    import_button(at).click().run()
    assert csat(database)[0] == 30


def test_undecidable_dates_are_asked_beside_their_row_with_both_readings(database):
    data = b"Customer ID,Order date,Amount\nc1,03/04/2024,10\nc2,05/06/2024,12\n"
    at = upload(open_page("pages/4_Data.py"), "orders.csv", data)
    radio = at.radio(key=f"dates_{hashlib.md5(b'orders.csv').hexdigest()[:8]}_{len(data)}")
    assert [option.replace("\\", "") for option in radio.options] == [
        "month/day/year: “03/04/2024” is 4 March 2024", "day/month/year: “03/04/2024” is 3 April 2024"]  # fmt: skip
    assert import_button(at).disabled
    radio.set_value("dmy").run()
    assert not import_button(at).disabled


def test_an_implausible_figure_needs_a_tick_before_it_can_be_imported(database):
    data = b"Ref,Date,Satisfied customers\n" + b"".join(b"r%d,2024-05-01,%d\n" % (n, n % 3) for n in range(60))
    at = upload(open_page("pages/4_Data.py"), "counts.csv", data)
    field_widget(at, "counts.csv", data, 2).set_value("csat_score").run()
    assert any("the very end of the scale" in w.value for w in at.warning)
    assert import_button(at).disabled
    at.checkbox(key=f"confirm_{hashlib.md5(b'counts.csv').hexdigest()[:8]}_{len(data)}").check().run()
    assert not import_button(at).disabled
