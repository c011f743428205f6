"""Fixtures shared by every test folder: tiny real DuckDB files built in code."""

from __future__ import annotations

import email
import socket
import subprocess
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from email import policy
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


def one_day_last_week_db(path: Path) -> Path:
    """40 NPS answers a week, spread over its days, from Mon 31 Aug to Sun 29 Nov 2026: NPS 25, but 50 in
    the week of 23 Nov. Then one day, Monday 30 Nov, on which all 40 answers are detractors (NPS -100)."""
    rows, monday, last = [], datetime(2026, 8, 31, 12), datetime(2026, 11, 30, 12)
    while monday <= last:
        scores = {
            datetime(2026, 11, 23, 12): [10] * 25 + [8] * 10 + [3] * 5,
            last: [0] * 40,
        }.get(monday, [10] * 20 + [8] * 10 + [3] * 10)
        for i, score in enumerate(scores):
            day = monday if monday == last else monday + timedelta(days=i % 7)
            rows.append(dict(response_id=f"{monday:%m%d}-{i}", responded_at=day, survey="nps", score=score))
        monday += timedelta(days=7)
    return build_db(path, responses=rows)


def nps_only_db(path: Path) -> Path:
    """A survey export whose NPS answers name the touchpoint; no CSAT, no interactions, no customers.
    April 2026: Checkout 30 × 10 and 10 × 9 (NPS 100); Delivery 20 × 2, 10 × 8, 10 × 10 (NPS -25)."""
    scores = {"Checkout": [10] * 30 + [9] * 10, "Delivery": [2] * 20 + [8] * 10 + [10] * 10}
    responses = [
        {"response_id": f"{t}{i}", "responded_at": datetime(2026, 4, 3 + i % 20), "survey": "nps", "score": s,
         "touchpoint": t}
        for t, values in scores.items()
        for i, s in enumerate(values)
    ]  # fmt: skip
    return build_db(path, responses=responses)


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


class SmtpSink:
    """A local SMTP server's inbox: each message as received, with its envelope (who it went to)."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.envelopes.append(envelope)
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp_sink() -> Iterator[tuple[SmtpSink, int]]:
    """A real SMTP server (aiosmtpd) on a free port of 127.0.0.1, and that port."""
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()
