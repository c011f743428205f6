"""Storing imports: one transaction, stable ids, text kept as text, undo, history."""

from __future__ import annotations

import pytest

from cx.ingest import import_file, import_history, load, undo_import
from tests.unit.ingest_helpers import contents, query

PURCHASES = b"Customer,Order date,Amount\nc1,2024-01-05,10.00\nc1,2024-01-05,10.00\nc2,2024-01-06,7.50\n"


def test_reimporting_a_file_adds_nothing(tmp_path):
    db = tmp_path / "cx.duckdb"
    first = import_file(PURCHASES, file_name="orders.csv", db=db)
    again = import_file(PURCHASES, file_name="orders.csv", db=db)
    # Two identical purchases in one file stay two; the second import finds all three stored.
    assert (first.imported, first.duplicates) == (3, 0)
    assert (again.rows, again.imported, again.duplicates, again.rejected) == (3, 0, 3, 0)
    assert query(db, "SELECT count(*), sum(revenue) FROM interactions") == [(3, 27.5)]


def test_a_stored_customer_is_a_duplicate_and_keeps_its_values(tmp_path):
    db = tmp_path / "cx.duckdb"
    import_file(b"Customer ID,Plan,Churn\nc1,Gold,No\n", file_name="jan.csv", db=db)
    result = import_file(b"Customer ID,Plan,Churn\nc1,Silver,Yes\nc2,Gold,No\n", file_name="feb.csv", db=db)
    assert (result.imported, result.duplicates) == (1, 1)
    assert query(db, "SELECT customer_id, plan, churned FROM customers ORDER BY 1") == [
        ("c1", "Gold", False),
        ("c2", "Gold", False),
    ]


def test_unmapped_customer_columns_are_kept_as_attributes(tmp_path):
    db = tmp_path / "cx.duckdb"
    import_file(b"customerID,tenure,TotalCharges,Churn\nA,3,29.85,Yes\nB,0, ,No\n", file_name="telco.csv", db=db)
    assert query(db, "SELECT customer_id, attribute, value FROM customer_attributes ORDER BY 1, 2") == [
        ("A", "TotalCharges", "29.85"), ("A", "tenure", "3"), ("B", "tenure", "0")]  # fmt: skip


def test_comments_with_quotes_semicolons_sql_and_formulas_come_back_unchanged(tmp_path):
    db = tmp_path / "cx.duckdb"
    comments = [
        'She said "great"; then left',
        "Robert'); DROP TABLE responses;--",
        '=HYPERLINK("http://evil.example","click")',
    ]
    rows = "".join(
        f'r{i},2024-05-0{i + 1},{8 + i},"{c.replace(chr(34), chr(34) * 2)}"\n' for i, c in enumerate(comments)
    )
    import_file(("Respondent,Date,NPS,Comment\n" + rows).encode(), file_name="c.csv", db=db)
    assert [c for (c,) in query(db, "SELECT comment FROM responses ORDER BY response_id")] == comments


def test_a_failure_mid_import_leaves_the_database_exactly_as_before(tmp_path, monkeypatch):
    db = tmp_path / "cx.duckdb"
    import_file(b"Customer ID,Plan\nseed,Gold\n", file_name="seed.csv", db=db)
    before = contents(db)

    def crash(con):
        raise RuntimeError("disk pulled out")

    monkeypatch.setattr(load, "before_commit", crash)
    with pytest.raises(RuntimeError, match="disk pulled out"):
        import_file(PURCHASES, file_name="orders.csv", db=db)
    assert contents(db) == before


def test_undo_removes_exactly_the_rows_of_that_import(tmp_path):
    db = tmp_path / "cx.duckdb"
    kept = import_file(b"Customer ID,Plan,Region\nc1,Gold,EU\n", file_name="a.csv", db=db)
    undone = import_file(b"Customer ID,Plan,Region\nc2,Gold,US\nc3,Silver,US\n", file_name="b.csv", db=db)
    assert undo_import(undone.import_id, db) == 2
    assert query(db, "SELECT customer_id FROM customers") == [("c1",)]
    assert query(db, "SELECT customer_id FROM customer_attributes") == []
    history = import_history(db)
    assert list(history["status"]) == ["undone", "done"]
    assert list(history["import_id"]) == [undone.import_id, kept.import_id]


def test_undone_rows_can_be_imported_again(tmp_path):
    db = tmp_path / "cx.duckdb"
    first = import_file(PURCHASES, file_name="orders.csv", db=db)
    undo_import(first.import_id, db)
    assert import_file(PURCHASES, file_name="orders.csv", db=db).imported == 3


def test_help_desk_import_is_one_import_filling_two_tables(tmp_path):
    db = tmp_path / "cx.duckdb"
    data = (
        b"Ticket ID,Created,Ticket Channel,Customer Satisfaction Rating\n"
        b"7,2024-01-01 09:00,Email,4.0\n8,2024-01-02 10:00,Chat,\n9,2024-01-03 10:00,Chat,6\n"
    )
    result = import_file(data, file_name="helpdesk.csv", db=db)
    assert (result.kind, result.rows, result.imported, result.rejected) == ("interactions+responses", 3, 2, 1)
    assert query(db, "SELECT count(*), min(kind) FROM imports") == [(1, "interactions+responses")]
    assert query(db, "SELECT interaction_id, survey, score, strftime(responded_at, '%Y-%m-%d') FROM responses") == [
        ("7", "csat", 4, "2024-01-01")]  # fmt: skip


def test_progress_is_reported_up_to_done(tmp_path):
    seen = []
    import_file(
        PURCHASES, file_name="orders.csv", db=tmp_path / "cx.duckdb", progress=lambda f, text: seen.append((f, text))
    )
    assert seen[-1] == (1.0, "Done") and [f for f, _ in seen] == sorted(f for f, _ in seen)
