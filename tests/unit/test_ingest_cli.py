"""python -m cx import: the JSON contract, exit statuses, and waiting for a busy database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb

from tests.conftest import hold_database

ROOT = Path(__file__).resolve().parents[2]


def cx_import(*args, timeout_s: str = "10") -> subprocess.CompletedProcess:
    env = os.environ | {"CX_DB_BUSY_TIMEOUT": timeout_s}
    return subprocess.run([sys.executable, "-m", "cx", "import", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_json_lists_one_object_per_file_with_counts_mapping_and_errors(tmp_path):
    survey = write(tmp_path / "nps.csv", b"Respondent,Date,NPS,Comment\nr1,2024-05-01,9,ok\nr2,2024-05-02,11,no\n")
    done = cx_import(survey, "--db", tmp_path / "cx.duckdb", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [
        {
            "file": "nps.csv", "kind": "responses", "rows": 2, "imported": 1, "duplicates": 0, "rejected": 1,
            "mapping": {"Respondent": "response_id", "Date": "responded_at", "NPS": "nps_score", "Comment": "comment"},
            "errors": [{"row": 2, "column": "NPS", "value": "11", "reason": "is outside the NPS scale 0–10"}],
            "import_id": 1, "notes": [],
            "previews": [{"column": "NPS", "survey": "nps", "n": 1, "value": 100.0, "figure": "NPS 100.0 on 1 answer",
                          "histogram": {**{str(v): 0 for v in range(9)}, "9": 1, "10": 0, "11": 1, "blank": 0}}],
        }
    ]  # fmt: skip


def test_a_file_that_cannot_be_imported_exits_1_with_its_reason(tmp_path):
    page = write(tmp_path / "export.csv", b"<html><body>Session expired</body></html>")
    done = cx_import(page, "--db", tmp_path / "cx.duckdb", "--json")
    assert done.returncode == 1
    [result] = json.loads(done.stdout)
    assert result["imported"] == 0 and "is a web page" in result["errors"][0]["reason"]


def test_strict_exits_1_and_map_and_kind_are_honoured(tmp_path):
    data = write(tmp_path / "x.csv", b"Kunde,Datum,Wert\nk1,2021-03-22,5\nk2,2021-03-23,9\n")
    db = tmp_path / "cx.duckdb"
    refused = cx_import(
        data, "--db", db, "--map", "Kunde=customer_id", "--map", "Wert=csat_score", "--strict", "--json"
    )
    assert refused.returncode == 1 and "--strict" in json.loads(refused.stdout)[0]["errors"][0]["reason"]
    done = cx_import(data, "--db", db, "--map", "Kunde=customer_id", "--map", "Wert=csat_score", "--kind", "responses")
    assert done.returncode == 0
    assert "2 rows: 1 imported, 0 duplicates skipped, 1 rejected" in done.stdout
    assert '"Wert" → csat_score: your choice' in done.stdout
    assert 'Row 2, column "Wert": "9" is outside the CSAT scale 1–5' in done.stdout


def test_the_human_summary_lists_the_first_reasons_and_says_where_the_rest_are(tmp_path):
    rows = b"".join(b"r%d,2024-05-01,%d\n" % (n, 11 + n) for n in range(1, 8))  # scores 12..18: all outside 0-10
    data = write(tmp_path / "nps.csv", b"Respondent,Date,NPS\nr0,2024-05-01,9\n" + rows)
    db = tmp_path / "cx.duckdb"
    done = cx_import(data, "--db", db, "--accept-warnings")  # 7 of 8 answers off the scale: confirmed
    assert done.returncode == 0, done.stderr
    assert "8 rows: 1 imported, 0 duplicates skipped, 7 rejected" in done.stdout
    assert 'Row 2, column "NPS": "12" is outside the NPS scale 0–10' in done.stdout
    assert 'Row 6, column "NPS": "16"' in done.stdout and "Row 7," not in done.stdout  # the first five
    assert (
        f"… and 2 more rejected rows. Every rejected row is kept, with its reasons and the whole record, in the table import_rejects of {db.resolve()} (import_id = 1)."
        in done.stdout
    )


def test_usage_errors_exit_2(tmp_path):
    data = write(tmp_path / "x.csv", b"Customer ID,Plan\nc1,Gold\n")
    assert cx_import(data, "--db", tmp_path / "cx.duckdb", "--map", "no equals sign").returncode == 2
    assert cx_import(data, "--db", tmp_path / "cx.duckdb", "--map", "Plan=colour").returncode == 2
    assert cx_import(data, "--db", tmp_path / "cx.duckdb", "--kind", "orders").returncode == 2


def test_ambiguous_dates_exit_1_until_date_order_settles_them(tmp_path):
    data = write(tmp_path / "o.csv", b"Customer ID,Order date,Amount\nc1,03/04/2024,10\n")
    db = tmp_path / "cx.duckdb"
    assert cx_import(data, "--db", db).returncode == 1
    assert cx_import(data, "--db", db, "--date-order", "mdy").returncode == 0


def test_import_waits_while_another_process_briefly_holds_the_database(tmp_path):
    db = tmp_path / "cx.duckdb"
    data = write(tmp_path / "c.csv", b"Customer ID,Plan\nc1,Gold\n")
    with hold_database(db, seconds=1.5):
        done = cx_import(data, "--db", db, "--json", timeout_s="30")
    assert done.returncode == 0, done.stderr
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT customer_id FROM customers").fetchall() == [("c1",)]
    con.close()


def test_import_gives_up_with_a_clear_message_when_the_database_stays_busy(tmp_path):
    db = tmp_path / "cx.duckdb"
    data = write(tmp_path / "c.csv", b"Customer ID,Plan\nc1,Gold\n")
    with hold_database(db, seconds=30):
        done = cx_import(data, "--db", db, timeout_s="1")
    assert done.returncode == 1
    assert "is in use by another program" in done.stderr
    assert "Traceback" not in done.stderr and "IOException" not in done.stderr
