"""Files that would take the server down are refused quickly and in plain words; text is read honestly.

Every hostile file is generated here, small enough to build in a moment: a workbook with a cell at
XFD1048576, one whose XML unpacks to far more than it should, one whose zip lies about its sizes, a
CSV line with no end, thousands of columns."""

from __future__ import annotations

import io
import time
import zipfile

import duckdb
import pytest

from cx.ingest import analyse, import_file, read
from tests.unit.ingest_helpers import xlsx

SMALL = xlsx({"Data": [["Customer ID", "Plan", "Churn"], ["c1", "Gold", "No"], ["c2", "Silver", "Yes"]]})


def rewritten(workbook: bytes, change) -> bytes:
    """The workbook with its first sheet's XML passed through `change`."""
    source, out = zipfile.ZipFile(io.BytesIO(workbook)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            target.writestr(info.filename, change(content) if info.filename.endswith("sheet1.xml") else content)
    return out.getvalue()


def refused(content: bytes, name: str) -> tuple[str, float]:
    started = time.perf_counter()
    plan = analyse(content, file_name=name)
    return plan.problems or "", time.perf_counter() - started


def test_a_workbook_with_a_cell_at_xfd1048576_is_refused_before_it_is_expanded():
    corner = rewritten(SMALL, lambda x: x.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'))  # fmt: skip
    assert len(corner) < 2000
    problem, _ = refused(corner, "corner.xlsx")
    assert 'column 16,384 of sheet "Data"' in problem and "at most 1,000 columns" in problem


def test_a_sheet_spanning_too_many_cells_is_refused_with_the_limit():
    far = rewritten(SMALL, lambda x: x.replace(b"</sheetData>", b'<row r="900000"><c r="Z900000"><v>1</v></c></row></sheetData>'))  # fmt: skip
    problem, _ = refused(far, "far.xlsx")
    assert "900,000 and column 26" in problem and "5,000,000" in problem


def test_a_workbook_whose_xml_unpacks_to_far_more_than_its_size_is_refused():
    padding = b" " * (80 << 20)  # 80 MB of whitespace compresses to a few hundred kB
    bomb = rewritten(SMALL, lambda x: x.replace(b"<sheetData>", b"<sheetData>" + padding))
    assert len(bomb) < 1 << 20
    problem, _ = refused(bomb, "bomb.xlsx")
    assert "unpacks to more than" in problem


def lie_about_size(workbook: bytes, member: str, size: int) -> bytes:
    """The workbook with `member` declared as `size` bytes unpacked, in its local and central headers."""
    lying, declared = bytearray(workbook), size.to_bytes(4, "little")
    local = zipfile.ZipFile(io.BytesIO(workbook)).getinfo(member).header_offset
    lying[local + 22 : local + 26] = declared
    entry = workbook.find(b"PK\x01\x02")
    while entry != -1:
        length = int.from_bytes(workbook[entry + 28 : entry + 30], "little")
        if workbook[entry + 46 : entry + 46 + length] == member.encode():
            lying[entry + 24 : entry + 28] = declared
        entry = workbook.find(b"PK\x01\x02", entry + 4)
    return bytes(lying)


def test_a_workbook_that_lies_about_its_sizes_is_refused_as_damaged():
    padded = rewritten(SMALL, lambda x: x.replace(b"<sheetData>", b"<sheetData>" + b" " * 200_000))
    problem, _ = refused(lie_about_size(padded, "xl/worksheets/sheet1.xml", 100), "liar.xlsx")
    assert problem.startswith('The file "liar.xlsx" is not a workbook we can read')


def test_an_opendocument_spreadsheet_is_asked_for_as_xlsx():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<office:document-content/>")
    problem, _ = refused(buffer.getvalue(), "sheet.ods")
    assert "OpenDocument" in problem and ".xlsx" in problem


def test_an_ordinary_workbook_still_imports(db_file):
    result = import_file(SMALL, file_name="customers.xlsx", db=db_file)
    assert (result.rows, result.imported) == (2, 2)


def test_a_csv_line_with_no_end_is_refused_at_once():
    endless = b"id,comment\n1," + b"a," * (3 << 20)  # 6 MB without a line break, full of delimiters
    problem, seconds = refused(endless, "endless.csv")
    assert problem.startswith("Line 2 of")
    assert "longer than 2 MB" in problem


def test_a_file_of_nothing_but_delimiters_is_refused_for_its_columns_not_analysed():
    problem, _ = refused(b"a," * 100_000 + b"\n", "commas.csv")
    assert "at most 1,000" in problem or "longer than" in problem


def test_more_than_a_thousand_columns_are_refused_with_the_count():
    header = ",".join(f"c{i}" for i in range(1500))
    problem, _ = refused((header + "\n" + ",".join("1" * 1500) + "\n").encode(), "wide.csv")
    assert "1,500 columns" in problem and "at most 1,000" in problem


def test_analysing_many_columns_costs_about_the_same_per_column(monkeypatch):
    """Profiling runs in batches of columns, so twice the columns is twice the queries, not one huge one."""
    from cx.ingest import detect

    queries = []
    original = detect._measure
    monkeypatch.setattr(detect, "_measure", lambda con, columns: queries.append(len(columns)) or original(con, columns))

    def wide(columns: int) -> bytes:
        header = ",".join(f"col{i}" for i in range(columns))
        return (
            header + "\n" + "\n".join(",".join(str(r + c) for c in range(columns)) for r in range(20)) + "\n"
        ).encode()

    analyse(wide(64), file_name="a.csv")
    assert queries == [detect.PROFILE_BATCH] * (64 // detect.PROFILE_BATCH)


# --- encodings, decided per file and said --------------------------------------------------------------


def mostly_utf8() -> bytes:
    rows = [f"c{i},Zoë Müller,Gold".encode() for i in range(1, 50)]
    rows.insert(20, "c99,Café Crème,Silver".encode("cp1252"))  # one line written by another program
    return b"Customer ID,Name,Plan\n" + b"\n".join(rows) + b"\n"


def names(db) -> set[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {row[0] for row in con.execute("SELECT name FROM customers").fetchall()}
    finally:
        con.close()


def test_one_cp1252_line_in_a_utf8_file_is_read_as_such_and_named_leaving_the_rest_intact(db_file):
    plan = analyse(mostly_utf8(), file_name="people.csv")
    assert plan.not_utf8 == 1 and plan.encoding == "mixed"
    assert any(
        note.startswith("1 of 51 lines is not UTF-8 (line 22); it was read as Windows-1252") for note in plan.notes
    )
    import_file(mostly_utf8(), file_name="people.csv", db=db_file)
    assert names(db_file) == {"Zoë Müller", "Café Crème"}  # not "ZoÃ« MÃ¼ller"


def test_the_user_may_read_the_whole_file_as_utf8_and_reject_the_other_line(db_file):
    result = import_file(mostly_utf8(), file_name="people.csv", db=db_file, encoding="utf-8")
    assert (result.imported, result.rejected) == (49, 1)
    assert result.errors[0]["reason"] == "holds bytes that are not valid text"


def test_a_file_entirely_in_cp1252_is_read_as_cp1252_and_says_so():
    plan = analyse("Customer ID,Name\nc1,Café\nc2,Crème\n".encode("cp1252"), file_name="old.csv")
    assert plan.encoding == "cp1252"
    assert any("read as Windows-1252" in note for note in plan.notes)


def test_nul_bytes_are_removed_with_a_note(db_file):
    data = b"Customer ID,Name\n" + b"".join(f"c{i},Name {i}\n".encode() for i in range(300)) + b"c300,Ev\x00il\x00\n"
    result = import_file(data, file_name="nul.csv", db=db_file)
    assert result.imported == 301
    assert any("2 NUL characters" in note for note in result.notes)
    assert "Evil" in names(db_file)


def test_a_file_full_of_nul_bytes_is_still_refused_as_binary():
    problem, _ = refused(b"\x00\x01\x02\x03" * 4000, "blob.csv")
    assert "binary data" in problem


@pytest.mark.parametrize("limit", ["MAX_COLUMNS", "MAX_ROWS", "MAX_SHEET_CELLS", "MAX_LINE_BYTES", "MAX_EXPANDED"])
def test_every_limit_is_stated_in_the_readme(limit):
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    value = getattr(read, limit)
    shown = {"MAX_LINE_BYTES": "2 MB", "MAX_EXPANDED": "1 GB"}.get(limit, f"{value:,}")
    assert shown in readme, limit
