"""Opening the database: migrations are idempotent, readers never hold the file, a busy file is said plainly."""

from __future__ import annotations

import subprocess
import sys
import time

import duckdb
import pytest

from cx.store import db
from cx.store.schema import MIGRATIONS
from tests.conftest import hold_database


def test_opening_twice_migrates_once(db_file):
    db.connect(db_file).close()
    con = db.connect(db_file)
    try:
        versions = con.execute("SELECT version FROM schema_version ORDER BY version").fetchall()
    finally:
        con.close()
    assert [v for (v,) in versions] == list(range(1, len(MIGRATIONS) + 1))


def test_the_path_comes_from_the_argument_then_cx_db_then_the_default(monkeypatch, tmp_path):
    monkeypatch.setenv("CX_DB", str(tmp_path / "env.duckdb"))
    assert db.db_path(tmp_path / "arg.duckdb") == tmp_path / "arg.duckdb"
    assert db.db_path() == tmp_path / "env.duckdb"
    monkeypatch.delenv("CX_DB")
    assert db.db_path() == db.DEFAULT_DB


def test_reading_creates_a_missing_database_with_every_table(db_file):
    with db.reading(db_file) as backend:
        assert {"customers", "interactions", "responses", "imports", "customer_attributes"} <= set(
            backend.list_tables()
        )


def test_a_reader_releases_the_file_so_another_process_can_write(db_file):
    db.ensure_database(db_file)
    with db.reading(db_file) as backend:
        backend.table("customers").count().execute()
    # Another process can now take the write lock (it could not while we held the file).
    code = f"import duckdb; duckdb.connect({str(db_file)!r}).execute('INSERT INTO imports VALUES (99, \\'f\\', \\'demo\\', now(), NULL, 0, 0, 0, 0, NULL, \\'done\\')')"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    with db.reading(db_file) as backend:
        assert backend.table("imports").count().execute() == 1


def test_a_busy_file_waits_then_fails_with_a_plain_message(db_file):
    db.ensure_database(db_file)
    with hold_database(db_file):
        started = time.monotonic()
        with pytest.raises(db.DatabaseBusy, match="in use by another program"):
            db.connect(db_file, read_only=True, timeout_s=1.0)
        assert 0.9 <= time.monotonic() - started < 10


def test_data_version_changes_when_the_file_is_written(db_file):
    db.ensure_database(db_file)
    before = db.data_version(db_file)
    time.sleep(0.01)
    with db.writing(db_file) as con:
        con.execute("INSERT INTO customers (customer_id) VALUES (?)", ["C1"])
    assert db.data_version(db_file) != before


def test_sql_injection_in_a_value_is_stored_as_text(db_file):
    sneaky = "x'); DROP TABLE customers; --"
    with db.writing(db_file) as con:
        con.execute("INSERT INTO customers (customer_id, name) VALUES (?, ?)", ["C1", sneaky])
    with duckdb.connect(str(db_file), read_only=True) as con:
        assert con.execute("SELECT name FROM customers").fetchone()[0] == sneaky


def test_a_writer_in_the_same_process_waits_for_a_reader_to_finish(db_file):
    # The dashboard's threads: one session reads while another saves a follow-up.
    import threading

    db.ensure_database(db_file)
    reader = db.connect(db_file, read_only=True)
    threading.Timer(0.3, reader.close).start()
    with db.writing(db_file, timeout_s=10) as con:
        con.execute("INSERT INTO customers (customer_id) VALUES (?)", ["C1"])
    with db.reading(db_file) as backend:
        assert backend.table("customers").count().execute() == 1


def test_a_database_from_before_questions_keeps_its_responses_and_gains_question_and_the_10_point_scale(db_file):
    con = duckdb.connect(str(db_file))
    con.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP)")
    for statement in MIGRATIONS[0]:
        con.execute(statement)
    con.execute("INSERT INTO schema_version VALUES (1, now())")
    con.execute(
        "INSERT INTO responses (response_id, responded_at, survey, score) VALUES ('r1', '2024-05-01', 'nps', 9)"
    )
    con.close()
    con = db.connect(db_file)
    try:
        assert con.execute("SELECT response_id, survey, score, question FROM responses").fetchall() == [
            ("r1", "nps", 9, None)
        ]
        con.execute(
            "INSERT INTO responses (response_id, responded_at, survey, score, question) "
            "VALUES ('r2', '2024-05-01', 'rating10', 10, 'Rate the hotel')"
        )
        with pytest.raises(duckdb.ConstraintException):
            con.execute(
                "INSERT INTO responses (response_id, responded_at, survey, score) VALUES ('r3', now(), 'rating10', 0)"
            )
        with pytest.raises(duckdb.ConstraintException):
            con.execute(
                "INSERT INTO responses (response_id, responded_at, survey, score) VALUES ('r4', now(), 'mood', 3)"
            )
    finally:
        con.close()
