"""Fixtures shared by every test folder: tiny real DuckDB files built in code."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from cx.store import db
from cx.store.schema import CUSTOMER_COLUMNS, INTERACTION_COLUMNS, RESPONSE_COLUMNS

# The engine fixture (DuckDB, PostgreSQL, Spark) and the servers it starts.
pytest_plugins = ["tests.engines"]

ROOT = Path(__file__).resolve().parents[1]
# Real exports live in the shared folder beside the repository (/work/main → /work/shared), or two levels
# up from a worktree (/work/wt/issue-N → /work/shared).
REAL_DATA = next(
    (p / "shared" / "data" / "real" for p in ROOT.parents if (p / "shared" / "data" / "real").is_dir()),
    ROOT.parent / "shared" / "data" / "real",
)


def insert(con, table: str, columns: Iterable[str], rows: Iterable[dict]) -> None:
    """Insert dicts as rows, missing keys as NULL; values go in as parameters."""
    columns = list(columns)
    placeholders = ", ".join("?" for _ in columns)
    names = ", ".join(f'"{c}"' for c in columns)
    for row in rows:
        con.execute(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", [row.get(c) for c in columns])


def build_db(path: Path, customers=(), interactions=(), responses=(), attributes=()) -> Path:
    """A real database file holding exactly the rows given."""
    with db.writing(path) as con:
        insert(con, "customers", CUSTOMER_COLUMNS, [{"churned": False, **c} for c in customers])
        insert(con, "interactions", INTERACTION_COLUMNS, interactions)
        insert(con, "responses", RESPONSE_COLUMNS, responses)
        insert(con, "customer_attributes", ("customer_id", "attribute", "value"), attributes)
    return path


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    return tmp_path / "cx.duckdb"


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """A small but complete demo database, built once per test session by the real command line.

    Tests that write must copy it first.
    """
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "cx",
            "demo",
            "--db",
            str(path),
            "--customers",
            "3000",
            "--interactions",
            "120000",
            "--responses",
            "15000",
            "--seed",
            "11",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return path


HOLD = "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(float(sys.argv[2]))"


@contextmanager
def hold_database(path: Path, seconds: float = 30) -> Iterator[subprocess.Popen]:
    """Another process holding the database file open for writing, as a running import does."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        yield holder
    finally:
        if seconds >= 10:  # a long hold is only there to be waited out by the test: end it
            holder.kill()
        holder.wait(timeout=60)
