"""Reading awkward files: encodings, delimiters, quoting, and refusing what is not a table."""

from __future__ import annotations

import pytest

from cx.ingest import ImportRefused, analyse, import_file
from tests.unit.ingest_helpers import contents, xlsx


def test_latin1_file_reads_accents_correctly():
    data = "Customer ID;Name;Region;Churn\r\nC1;José Müller;Zürich;Yes\r\nC2;Anaïs;Genève;No\r\n".encode("cp1252")
    plan = analyse(data, file_name="crm.csv")
    assert plan.kind == "customers"
    assert list(plan.preview["name"]) == ["José Müller", "Anaïs"]
    assert list(plan.preview["region"]) == ["Zürich", "Genève"]
    assert any("Windows-1252" in note for note in plan.notes)


def test_utf8_bom_does_not_stick_to_the_first_header():
    plan = analyse("\ufeffcustomerID,Plan,Exited\nA,Gold,1\nB,Silver,0\n".encode(), file_name="bom.csv")
    assert plan.mapping == {"customerID": "customer_id", "Plan": "plan", "Exited": "churned"}
    assert list(plan.preview["churned"]) == [True, False]


def test_tab_delimited_file_with_unit_in_duration_header():
    data = b"Ticket ID\tCreated\tChannel\tFirst response (minutes)\n1\t2024-01-02 10:00\tEmail\t30\n2\t2024-01-03 11:00\tPhone\t1.5\n"
    plan = analyse(data, file_name="tickets.tsv")
    assert plan.kind == "interactions"
    assert list(plan.preview["response_time_s"]) == [1800.0, 90.0]


def test_semicolon_file_with_decimal_commas():
    data = b"Customer;Order date;Amount\nc1;2021-03-22;12,50\nc2;2021-03-23;3,00\n"
    plan = analyse(data, file_name="orders.csv")
    assert list(plan.preview["revenue"]) == [12.5, 3.0]


def test_quoted_fields_with_newlines_and_crlf_count_as_one_record_each():
    data = (
        b'Customer ID,Date,CSAT,Comment\r\nc1,2024-01-01,5,"line one\r\nline two, with comma"\r\nc2,2024-01-02,7,ok\r\n'
    )
    plan = analyse(data, file_name="survey.csv")
    assert plan.rows == 2
    assert plan.preview["comment"][0] == "line one\r\nline two, with comma"
    # The bad score is on the second record, though it is the fourth line of the file.
    assert plan.errors == [{"row": 2, "column": "CSAT", "value": "7", "reason": "is outside the CSAT scale 1–5"}]


def test_space_padded_headers_and_values_are_trimmed():
    plan = analyse(b" customer id , signup date , segment \n c1 , 2024-01-31 , SMB \n", file_name="padded.csv")
    assert plan.mapping == {"customer id": "customer_id", "signup date": "signup_date", "segment": "segment"}
    assert plan.preview["segment"][0] == "SMB"
    assert str(plan.preview["signup_date"][0])[:10] == "2024-01-31"


def test_headerless_whitespace_aligned_purchases_are_read_by_their_values():
    data = b" 00004 0001 19970101  2   29.33\r\n 00004 0001 19970118  2   29.73\r\n 00021 0002 19970101  3   63.34\r\n"
    plan = analyse(data, file_name="purchases.txt")
    assert plan.kind == "interactions"
    assert plan.mapping == {"column 1": "customer_id", "column 3": "occurred_at", "column 5": "revenue"}
    assert list(plan.preview["customer_id"]) == ["00004", "00004", "00021"]


def test_a_record_with_too_many_fields_is_rejected_with_its_number():
    data = b"Customer ID,Plan\nc1,Gold\nc2,Gold,extra\nc3,Silver\n"
    plan = analyse(data, file_name="ragged.csv")
    assert plan.rows == 3
    assert plan.errors[0]["row"] == 2 and "more fields than the header" in plan.errors[0]["reason"]
    assert list(plan.preview["customer_id"]) == ["c1", "c3"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "is empty"),
        (b"   \n\n", "is empty"),
        (b"customer_id,churned\n", "has a header row (customer_id, churned) but no data rows"),
        (bytes(range(256)) * 8, "binary data"),
        (b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>x,y</body></html>", "is a web page"),
        (b'{"customers": [1, 2]}', "JSON"),
        (b"foo,bar\n1,2\n", 'No column of "bad.csv" matches a field we store (its columns: "foo" and "bar")'),
    ],
)
def test_files_that_are_not_tables_are_refused_and_leave_the_database_unchanged(tmp_path, data, expected):
    db = tmp_path / "cx.duckdb"
    import_file(b"Customer ID,Plan\nc1,Gold\n", file_name="seed.csv", db=db)
    before = contents(db)
    assert expected in analyse(data, file_name="bad.csv").problems
    with pytest.raises(ImportRefused, match=expected.replace("(", r"\(").replace(")", r"\)")):
        import_file(data, file_name="bad.csv", db=db)
    assert contents(db) == before


def test_workbook_whose_first_sheet_is_a_data_dictionary_imports_the_data_sheet():
    book = xlsx(
        {
            "Read me": [
                ["Field", "Description"],
                ["Customer ID", "Our account number"],
                ["Churn", "Yes if the customer left"],
            ],
            "Export": [
                ["Customer ID", "Plan", "Churn"],
                ["A1", "Gold", "Yes"],
                ["A2", "Silver", "No"],
                [1003, "Gold", "No"],
            ],
        }
    )
    plan = analyse(book, file_name="export.xlsx")
    assert plan.sheets == ["Read me", "Export"] and plan.sheet == "Export"
    assert list(plan.preview["customer_id"]) == ["A1", "A2", "1003"]
    assert list(plan.preview["churned"]) == [True, False, False]


def test_sheet_can_be_chosen_by_name():
    book = xlsx(
        {"Read me": [["Field", "Description"], ["x", "y"]], "Export": [["Customer ID", "Plan"], ["A1", "Gold"]]}
    )
    assert analyse(book, file_name="b.xlsx", sheet="Export").rows == 1
    assert "no sheet" in analyse(book, file_name="b.xlsx", sheet="Data").problems


def test_an_unclosed_quote_is_reported_on_its_record_instead_of_swallowing_rows_silently():
    data = b'Customer ID,Plan,Note\nc1,Gold,fine\nc2,Gold,"never closed\nc3,Silver,lost\n'
    plan = analyse(data, file_name="broken.csv")
    assert list(plan.preview["customer_id"]) == ["c1"]
    assert plan.errors[0]["row"] == 2 and "never closed" in plan.errors[0]["reason"]
    assert plan.rows == 2
