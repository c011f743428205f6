"""Other engines for the metric suite: a throwaway PostgreSQL server and one local Spark session.

`make test` runs on a fresh machine, so the tests start what they need themselves: PostgreSQL
(Debian's `postgresql` package) in a temporary folder on a free port of 127.0.0.1, run as the
`postgres` user when we are root; Spark in local mode (pyspark, Java 17), one session for the
whole run because starting one takes 20–60 s here.

`engine` is a fixture parametrised over DuckDB, PostgreSQL and Spark: while it is active,
`db.reading(file)` copies the DuckDB file the test built into that engine (with the real
`python -m cx warehouse push` code) and hands the metric layer the engine's backend, so the
same test, with the same hand-computed expectations, runs on all three.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from cx.store import db, warehouse

ENGINES = ("duckdb", "postgres", "spark")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        pytest.fail("PostgreSQL is not installed: `make test` installs it (debian-packages.txt lists postgresql).")
    return Path(found[-1]).parent


@contextmanager
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server of our own for the duration of the block; yields its URL."""
    bin_dir = _postgres_bin()
    folder = Path(tempfile.mkdtemp(prefix="cx-pg-"))
    data = folder / "data"
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        as_user = ["runuser", "-u", "postgres", "--"]
        account = pwd.getpwnam("postgres")
        os.chown(folder, account.pw_uid, account.pw_gid)
    port = _free_port()
    run = dict(check=True, capture_output=True, text=True)
    subprocess.run([*as_user, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                    "--no-sync", "-E", "UTF8", "--locale=C"], **run)  # fmt: skip
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"),
                    "-w", "-t", "60", "start"], **run)  # fmt: skip
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def spark_url(tmp_path_factory) -> Iterator[str]:
    """Spark in local mode on two cores, its tables in a temporary folder; one session for the run."""
    tables = tmp_path_factory.mktemp("spark-warehouse")
    # Test tables hold a few rows: compiling code for them costs more than interpreting, and one
    # partition is plenty.
    url = (
        f"pyspark://{tables}?master=local[2]&spark.sql.shuffle.partitions=1&spark.default.parallelism=1"
        "&spark.sql.codegen.wholeStage=false&spark.sql.adaptive.enabled=false"
    )
    session = warehouse.spark_session(url)
    session.sparkContext.setLogLevel("ERROR")
    yield url
    session.stop()


def engine_url(request: pytest.FixtureRequest, engine: str) -> str:
    return request.getfixturevalue({"postgres": "postgres_url", "spark": "spark_url"}[engine])


def namespaced(url: str, name: str) -> str:
    """The URL of a schema (PostgreSQL) or database (Spark) of its own, for one test's tables."""
    if warehouse.is_spark(url):
        return f"{url}&database={name}"
    return f"{url}/{name}"


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run the test on each engine: whatever DuckDB file it reads is first copied there."""
    if request.param == "duckdb":
        yield request.param
        return
    base = engine_url(request, request.param)
    local_reading = db.reading
    pushed: dict[str, tuple[tuple, str]] = {}

    @contextmanager
    def reading(path=None, **kwargs):
        chosen = db.source(path)
        if warehouse.is_url(chosen):
            with local_reading(chosen, **kwargs) as backend:
                yield backend
            return
        db.ensure_database(chosen)
        version = db.data_version(chosen)
        if chosen not in pushed or pushed[chosen][0] != version:
            name = "t_" + uuid.uuid4().hex[:10]
            if warehouse.is_spark(base):
                spark_views(chosen, base, tmp_folder / name)
            else:
                warehouse.push(chosen, base, database=name)
            pushed[chosen] = (version, base if warehouse.is_spark(base) else namespaced(base, name))
        with warehouse.reading(pushed[chosen][1]) as backend:
            yield backend

    tmp_folder = request.getfixturevalue("tmp_path")
    monkeypatch.setattr(db, "reading", reading)
    yield request.param
    for _, url in pushed.values():
        warehouse.close(url)
    if warehouse.is_spark(base):
        for name in warehouse.spark_session(base).catalog.listTables():
            if name.isTemporary:
                warehouse.spark_session(base).catalog.dropTempView(name.name)


def spark_views(path: Path, url: str, folder: Path) -> None:
    """The file's tables as Spark temporary views over Parquet files: what `push` does, minus the copy
    into managed tables, which costs seconds per table and every test would pay it (the comparison
    across engines uses the real push)."""
    folder.mkdir(parents=True)
    backend = warehouse.backend(url)
    con = duckdb.connect(str(path), read_only=True)
    try:
        for name in warehouse.local_tables(con):
            con.execute(f"""COPY "{name}" TO '{folder / name}.parquet' (FORMAT parquet)""")
            backend.read_parquet(str(folder / f"{name}.parquet"), table_name=name)
    finally:
        con.close()
