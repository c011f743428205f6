"""The one CSV writer: what a spreadsheet would run as a formula arrives as plain text."""

from __future__ import annotations

import io

import pandas as pd

from cx.reports import exports


def read_back(content: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(content), encoding="utf-8-sig", keep_default_na=False)


def test_text_cells_that_start_like_a_formula_get_an_apostrophe():
    frame = pd.DataFrame({"comment": ['=HYPERLINK("http://x","y")', "+1 call me", "-oops", "@SUM(A1)", "fine"]})
    back = read_back(exports.csv_bytes(frame))
    assert list(back["comment"]) == ['\'=HYPERLINK("http://x","y")', "'+1 call me", "'-oops", "'@SUM(A1)", "fine"]


def test_tab_and_carriage_return_starts_are_neutralised_too():
    assert exports.neutralise("\t=1") == "'\t=1"
    assert exports.neutralise("\r=1") == "'\r=1"


def test_numbers_stay_numbers_even_when_negative():
    frame = pd.DataFrame({"change": [-3.5, 2.0], "n": [10, -1]})
    back = read_back(exports.csv_bytes(frame))
    assert list(back["change"]) == [-3.5, 2.0] and list(back["n"]) == [10, -1]


def test_column_names_from_data_are_neutralised():
    back = read_back(exports.csv_bytes(pd.DataFrame({"=cmd|' /C calc'!A0": [1]})))
    assert list(back.columns) == ["'=cmd|' /C calc'!A0"]


def test_missing_values_stay_empty_and_accents_survive(tmp_path):
    path = exports.write_csv(pd.DataFrame({"name": ["Müller", None]}), tmp_path / "out.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # the byte-order mark Excel needs for UTF-8
    assert list(read_back(path.read_bytes())["name"]) == ["Müller", ""]


def test_the_input_frame_is_left_unchanged():
    frame = pd.DataFrame({"comment": ["=1"]})
    exports.csv_bytes(frame)
    assert frame["comment"][0] == "=1"
