"""Opening the DuckDB file.

DuckDB lets one process hold a file open for writing, and while it does no
other process can open it at all. The dashboard and a scheduled
`python -m cx import` must share the file, so nobody keeps it open: every
reader and writer opens it for the moment it needs it (`reading()`,
`writing()`) and closes it again, retrying for a bounded time while another
process holds it. Each call opens its own connection, so threads never share
one.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import duckdb
import ibis

from cx.store import warehouse
from cx.store.schema import MIGRATIONS

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DB = PROJECT_ROOT / "data" / "cx.duckdb"
BUSY_TIMEOUT_S = float(os.environ.get("CX_DB_BUSY_TIMEOUT", "30"))


class DatabaseBusy(RuntimeError):
    """Another process kept the database file for longer than we were willing to wait."""


def db_path(explicit: str | os.PathLike | None = None) -> Path:
    """The database file: an explicit path, else $CX_DB, else data/cx.duckdb."""
    chosen = explicit or os.environ.get("CX_DB") or DEFAULT_DB
    return Path(chosen).expanduser().resolve()


def _is_lock_error(error: Exception) -> bool:
    text = str(error).lower()
    return (
        "lock" in text
        or "conflicting" in text
        or "being used by another process" in text
        # Inside one process (the dashboard's threads) DuckDB refuses a writable connection while a
        # read-only one is open, and the other way round: the same kind of wait as another process' lock.
        or "different configuration" in text
    )


def connect(
    path: str | os.PathLike | None = None,
    *,
    read_only: bool = False,
    timeout_s: float | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the file, waiting (bounded) while another process holds it; migrate when writable."""
    path = db_path(path)
    timeout_s = BUSY_TIMEOUT_S if timeout_s is None else timeout_s
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout_s
    delay = 0.02
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except (duckdb.IOException, duckdb.ConnectionException) as error:
            if not _is_lock_error(error):
                raise
            if time.monotonic() >= deadline:
                raise DatabaseBusy(
                    f"The database {path.name} is in use by another program (an import or the "
                    f"dashboard writing to it) and stayed busy for {timeout_s:.0f} s. "
                    "Try again in a moment."
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
    if not read_only:
        migrate(con)
    return con


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchall()[0][0]
    if not exists:
        return 0
    return con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()[0][0]


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply the migrations this database has not seen yet; returns the resulting version."""
    con.execute("SET enable_progress_bar = false")  # a long migration must not draw on a command's output
    con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP)")
    current = schema_version(con)
    for version, statements in enumerate(MIGRATIONS, start=1):
        if version <= current:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            for statement in statements:
                con.execute(statement)
            con.execute("INSERT INTO schema_version VALUES (?, ?)", [version, datetime.now()])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        current = version
    return current


def ensure_database(path: str | os.PathLike | None = None) -> Path:
    """Create or migrate the file if needed, so read-only openers find the current schema."""
    path = db_path(path)
    if path.exists():
        con = connect(path, read_only=True)
        try:
            if schema_version(con) == len(MIGRATIONS):
                return path
        finally:
            con.close()
    connect(path).close()
    return path


@contextmanager
def writing(
    path: str | os.PathLike | None = None, *, timeout_s: float | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writable connection for the duration of the block, closed (and checkpointed) after."""
    con = connect(path, timeout_s=timeout_s)
    try:
        yield con
    finally:
        con.close()


def source(explicit: str | os.PathLike | None = None) -> str:
    """Where figures are read from: an explicit path or warehouse URL, else $CX_WAREHOUSE, else the file."""
    if explicit is not None:
        return str(explicit) if warehouse.is_url(explicit) else str(db_path(explicit))
    return warehouse.configured() or str(db_path())


@contextmanager
def reading(
    path: str | os.PathLike | None = None, *, timeout_s: float | None = None, as_of: datetime | None = None
) -> Iterator[ibis.BaseBackend]:
    """A read-only Ibis backend for the duration of the block: the DuckDB file, or a warehouse URL.

    With `as_of`, the file is read as a frozen snapshot (`pin`). A warehouse is loaded by pipelines
    that keep no import history here, so it is always read live."""
    chosen = source(path)
    if warehouse.is_url(chosen):
        with warehouse.reading(chosen) as backend:
            yield backend
        return
    # One opening when the schema is current (the usual case); migrate first only when it is not.
    con = connect(chosen, read_only=True, timeout_s=timeout_s) if Path(chosen).exists() else None
    if con is None or schema_version(con) != len(MIGRATIONS):
        if con is not None:
            con.close()
        ensure_database(chosen)
        con = connect(chosen, read_only=True, timeout_s=timeout_s)
    try:
        if as_of is not None:
            pin(con, as_of)
        yield _remembering_tables(ibis.duckdb.from_connection(con))
    finally:
        con.close()


def _remembering_tables(backend: ibis.BaseBackend) -> ibis.BaseBackend:
    """Look each table's schema up once: nothing changes the tables of a read-only connection while it is
    open, and a page asks for the same few tables dozens of times (each lookup is a query of its own)."""
    lookup = backend.table

    @functools.cache
    def table(name: str, database: str | None = None) -> ibis.Table:
        return lookup(name, database=database)

    backend.table = table
    return backend


def pin(con: duckdb.DuckDBPyConnection, as_of: datetime) -> list[str]:
    """Make this connection see the data as it was at `as_of`: a frozen snapshot for a meeting.

    Every table whose rows carry an import_id is shadowed by a temporary view of the same name
    holding only the rows of imports made up to `as_of` (rows with no import, such as hand-made test
    data, always count), and `imports` lists only those imports. Everything that reads through this
    connection, whatever module it is in, then computes the same figures however many files are
    imported during the meeting. An import undone after `as_of` has deleted its rows, so those cannot
    come back. Returns the tables pinned.
    """
    database = con.execute("SELECT current_database()").fetchone()[0].replace('"', '""')
    moment = f"TIMESTAMP '{as_of.replace(tzinfo=None).isoformat(sep=' ')}'"  # built from a datetime: safe to inline
    visible = f'SELECT import_id FROM "{database}".main.imports WHERE imported_at <= {moment}'
    tables = [
        row[0]
        for row in con.execute(
            """SELECT DISTINCT table_name FROM information_schema.columns
               WHERE table_catalog = current_database() AND table_schema = 'main' AND column_name = 'import_id'
               AND table_name <> 'imports' AND table_name IN (
                   SELECT table_name FROM information_schema.tables
                   WHERE table_catalog = current_database() AND table_type = 'BASE TABLE')"""
        ).fetchall()
    ]
    for table in tables:
        quoted = table.replace('"', '""')
        con.execute(
            f'CREATE OR REPLACE TEMP VIEW "{quoted}" AS SELECT * FROM "{database}".main."{quoted}" '
            f"WHERE import_id IS NULL OR import_id IN ({visible})"
        )
    con.execute(
        f'CREATE OR REPLACE TEMP VIEW imports AS SELECT * FROM "{database}".main.imports WHERE imported_at <= {moment}'
    )
    return sorted(tables)


def data_version(path: str | os.PathLike | None = None) -> tuple:
    """Changes whenever the data changes; cached results are keyed on it.

    For the file: its and its WAL's modification times and sizes. For a warehouse, loaded by
    pipelines we do not see: a clock that ticks every CX_WAREHOUSE_REFRESH seconds.
    """
    chosen = source(path)
    if warehouse.is_url(chosen):
        return warehouse.data_version(chosen)
    path = Path(chosen)
    stamps: list[int] = []
    for candidate in (path, path.with_name(path.name + ".wal")):
        try:
            stat = candidate.stat()
            stamps += [stat.st_mtime_ns, stat.st_size]
        except FileNotFoundError:
            stamps += [0, 0]
    return tuple(stamps)
