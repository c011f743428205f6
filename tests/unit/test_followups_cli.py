"""python -m cx followups list | export | assign, on a real database file."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cx.cli import main
from cx.store import followups as store
from tests.conftest import build_db

ROOT = Path(__file__).resolve().parents[2]
DAY = datetime(2026, 3, 2, 9, 0)


def cx_process(*args) -> subprocess.CompletedProcess:
    """The real command line, in its own process."""
    return subprocess.run([sys.executable, "-m", "cx", "followups", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cx(capsys, monkeypatch):
    """The same command run in this process (quicker): exit status and what it printed."""

    monkeypatch.setenv("CX_USER", "Priya")

    def run(*args) -> Done:
        code = main(["followups", *map(str, args)])
        out = capsys.readouterr()
        return Done(code, out.out, out.err)

    return run


@pytest.fixture
def database(db_file):
    return build_db(
        db_file,
        customers=[
            {"customer_id": "C1", "name": "Northwind", "segment": "Enterprise"},
            {"customer_id": "C2", "name": "Bluefin", "segment": "SMB"},
        ],
        responses=[
            {"response_id": "R1", "customer_id": "C1", "responded_at": DAY, "survey": "nps", "score": 3,
             "comment": '=HYPERLINK("http://evil.example","click")'},
            {"response_id": "R2", "customer_id": "C2", "responded_at": DAY, "survey": "csat", "score": 1,
             "touchpoint": "Checkout"},
            {"response_id": "R3", "customer_id": "C2", "responded_at": DAY, "survey": "nps", "score": 9},
        ],
    )  # fmt: skip


def test_list_json_prints_the_queue_as_a_list_of_items(database):
    done = cx_process("list", "--db", database, "--from", "2026-03-01", "--to", "2026-03-31", "--json")
    assert done.returncode == 0, done.stderr
    items = json.loads(done.stdout)
    assert [i["response_id"] for i in items] == ["R1", "R2"]
    first = items[0]
    assert (first["status"], first["owner"], first["version"], first["segment"]) == ("new", None, 0, "Enterprise")
    assert first["responded_at"] == "2026-03-02T09:00:00"
    assert first["due_at"] == "2026-03-03T09:00:00"  # Enterprise: 24 h
    assert first["overdue"] is True


def test_the_csv_export_neutralises_formulas(cx, database, tmp_path):
    target = tmp_path / "queue.csv"
    done = cx("export", target, "--db", database, "--from", "2026-03-01", "--to", "2026-03-31")
    assert done.returncode == 0, done.stderr
    exported = pd.read_csv(io.BytesIO(target.read_bytes()), encoding="utf-8-sig")
    assert (
        exported.loc[exported["response_id"] == "R1", "comment"].item() == '\'=HYPERLINK("http://evil.example","click")'
    )


def test_assign_by_segment_gives_the_open_items_to_an_owner_and_audits_who_did_it(cx, database):
    done = cx("assign", "--db", database, "--from", "2026-03-01", "--to", "2026-03-31",
              "--segment", "SMB", "--owner", "Marco")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Assigned 1 items to Marco." in done.stdout
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("SELECT response_id, owner, updated_by FROM followups").fetchall() == [
            ("R2", "Marco", "Priya")
        ]
        assert con.execute("SELECT changed_by, after FROM followup_changes").fetchall() == [
            ("Priya", '{"owner": "Marco"}')
        ]


def test_assign_leaves_items_someone_owns_unless_told_otherwise(cx, database):
    store.save_item(database, store.ItemChange("R1", 0, {"owner": "Lena"}), store.Actor("Lena"))
    args = ["assign", "--db", database, "--from", "2026-03-01", "--to", "2026-03-31", "--response", "R1",
            "--owner", "Marco"]  # fmt: skip
    assert "Assigned 0 items" in cx(*args).stdout
    assert "Assigned 1 items" in cx(*args, "--include-assigned").stdout


def test_list_filters_by_status_owner_and_where(cx, database):
    store.save_item(database, store.ItemChange("R2", 0, {"owner": "Lena", "status": "contacted"}), store.Actor("Lena"))
    common = ["--db", database, "--from", "2026-03-01", "--to", "2026-03-31", "--json"]
    assert [i["response_id"] for i in json.loads(cx("list", *common, "--owned-by", "Lena").stdout)] == ["R2"]
    assert [i["response_id"] for i in json.loads(cx("list", *common, "--unassigned").stdout)] == ["R1"]
    assert [i["response_id"] for i in json.loads(cx("list", *common, "--status", "contacted").stdout)] == ["R2"]
    assert [i["response_id"] for i in json.loads(cx("list", *common, "--where", "segment=Enterprise").stdout)] == ["R1"]


def test_assign_without_a_choice_of_items_is_a_usage_error(cx, database):
    done = cx("assign", "--db", database, "--owner", "Marco")
    assert done.returncode == 2 and "--segment, --touchpoint or --response" in done.stderr


def test_with_a_roles_file_only_an_editor_may_assign_and_a_viewer_changes_nothing(cx, database, tmp_path, monkeypatch):
    roles = tmp_path / "roles.toml"
    roles.write_text('[roles]\nviewer = ["vera@example.com"]\neditor = ["ed@example.com"]\n')
    monkeypatch.setenv("CX_ROLES", str(roles))
    common = [
        "assign",
        "--db",
        database,
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-31",
        "--segment",
        "SMB",
        "--owner",
        "Marco",
    ]
    monkeypatch.setenv("CX_USER", "vera@example.com")
    refused = cx(*common)
    assert refused.returncode == 3 and "Nothing was changed" in refused.stderr
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM followups").fetchone() == (0,)
    monkeypatch.setenv("CX_USER", "ed@example.com")
    assert cx(*common).returncode == 0
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("SELECT who, role, via FROM audit_log WHERE action = 'follow-up'").fetchall() == [
            ("ed@example.com", "editor", "cli")
        ]
