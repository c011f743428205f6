"""Warehouse mode: the same metric definitions over another engine, read-only.

    CX_WAREHOUSE=postgresql://reader@db.internal:5432/cx            PostgreSQL (database cx)
    CX_WAREHOUSE=postgresql://reader@db.internal:5432/cx/analytics  ... its schema "analytics"
    CX_WAREHOUSE=pyspark                                            Spark in local mode
    CX_WAREHOUSE=pyspark:///data/spark-warehouse?master=spark://head:7077
    CX_WAREHOUSE=trino://… | bigquery://… | snowflake://…          any other Ibis backend URL

The metric layer (cx.analysis) is written in Ibis and asks only for tables by
name (`customers`, `interactions`, `responses`, `customer_attributes`,
and `imports`; never the rollups, which only the local file keeps), so pointing it at another engine
is a matter of handing it another Ibis backend. The dashboard never writes
there: a PostgreSQL session is switched to read-only transactions, and the
metric layer needs no temporary tables. Imports stay local (`python -m cx import`
into a DuckDB file) or go through the warehouse's own pipelines;
`python -m cx warehouse push --to URL` copies a local file into a warehouse for a
first load.

Connections are kept for the life of the process (one per thread, since a
database connection serves one query at a time; one Spark session for all).
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import duckdb
import ibis

from cx.store import per_reading

REFRESH_S = float(os.environ.get("CX_WAREHOUSE_REFRESH", "300"))
# What a first load copies: the data model. Rejected rows and bookkeeping stay local, and so do the rollups:
# the warehouse's own pipelines load it, so rollups copied once would go stale (the metric layer reads raw there).
SKIPPED_TABLES = (
    "schema_version",
    "import_rejects",
    "rollup_responses",
    "rollup_interactions",
    "rollup_stages",
    "rollup_response_customers",
    "rollup_state",
)

_local = threading.local()
_spark_lock = threading.Lock()


def configured() -> str | None:
    """The warehouse URL from $CX_WAREHOUSE, or None for the local DuckDB file."""
    return os.environ.get("CX_WAREHOUSE") or None


def is_url(source: object) -> bool:
    """True for a warehouse URL (`postgresql://…`, `pyspark`), False for a path to a DuckDB file."""
    text = str(source)
    return text == "pyspark" or "://" in text


def describe(url: str) -> str:
    """The URL without its password, to show on a page or in a log."""
    parsed = urlparse(url)
    if parsed.password:
        netloc = parsed.netloc.replace(":" + parsed.password + "@", ":•••@")
        return parsed._replace(netloc=netloc).geturl()
    return url


def is_spark(url: str) -> bool:
    return url == "pyspark" or url.startswith("pyspark:")


def spark_session(url: str = "pyspark"):
    """One Spark session per process (starting one takes 20–60 s).

    `pyspark` alone is local mode on every core; `pyspark://DIR?master=URL` sets the table
    warehouse directory and the master (a cluster, or `local[2]`).
    """
    from pyspark.sql import SparkSession

    with _spark_lock:
        parsed = urlparse(url if "://" in url else "pyspark://")
        options = {k: v[-1] for k, v in parse_qs(parsed.query).items() if k != "database"}
        master = options.pop("master", "local[*]")
        builder = (
            SparkSession.builder.appName("cx-dashboard")
            .master(master)
            .config("spark.sql.session.timeZone", "UTC")  # our timestamps carry no zone: never shift them
            .config("spark.ui.enabled", "false")
        )
        if parsed.path not in ("", "/"):
            builder = builder.config("spark.sql.warehouse.dir", str(Path(parsed.path).absolute()))
        if master.startswith("local"):
            # Small result sets on one machine: Spark's default of 200 shuffle partitions is pure overhead.
            builder = builder.config("spark.sql.shuffle.partitions", "4")
        for key, value in options.items():
            builder = builder.config(key, value)
        return builder.getOrCreate()


def _spark_database(url: str) -> str | None:
    return parse_qs(urlparse(url).query).get("database", [None])[-1]


def _connect(url: str, *, read_only: bool) -> ibis.BaseBackend:
    if is_spark(url):
        return ibis.pyspark.connect(spark_session(url))
    backend = ibis.connect(url)
    if read_only and backend.name == "postgres":
        # Belt and braces beside a SELECT-only role: this session cannot change anything.
        backend.raw_sql("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY").close()
    return backend


def backend(url: str) -> ibis.BaseBackend:
    """A read-only Ibis backend for `url`, kept per thread."""
    cache = _local.__dict__.setdefault("backends", {})
    if url not in cache:
        cache[url] = _connect(url, read_only=True)
    return cache[url]


@contextmanager
def reading(url: str) -> Iterator[ibis.BaseBackend]:
    """The warehouse's backend for the duration of a block; a connection that failed is dropped."""
    try:
        chosen = backend(url)
        if is_spark(url) and (database := _spark_database(url)):
            chosen.raw_sql(f"USE `{database}`")  # the session is shared: choose the database every time
        per_reading.forget(chosen)  # the connection outlives a reading; the warehouse may have been loaded since
        yield chosen
    except Exception:
        try:
            close(url)
        except Exception:  # it is already broken; the next use reconnects
            pass
        raise


def close(url: str) -> None:
    """Forget this thread's connection to `url` (the next use reconnects)."""
    backend = _local.__dict__.get("backends", {}).pop(url, None)
    if backend is not None and not is_spark(url):
        backend.disconnect()


def data_version(url: str) -> tuple:
    """Cached figures are kept this long: a warehouse is loaded by its own pipelines, not by us."""
    return (url, int(time.time() // REFRESH_S))


# --- a first load: copy a local DuckDB file into a warehouse -------------------------------------


def local_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    names = con.execute(
        """SELECT table_name FROM information_schema.tables
           WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY table_name"""
    ).fetchall()
    return [name for (name,) in names if name not in SKIPPED_TABLES]


def push(path: str | os.PathLike, url: str, *, database: str | None = None) -> dict[str, int]:
    """Copy every table of the DuckDB file at `path` into the warehouse (replacing tables of the same name).

    Returns the rows copied per table. PostgreSQL is loaded with COPY; other engines read
    Parquet files written by DuckDB (for a Spark cluster, run this where the executors see
    the temporary folder, or load the Parquet files with the cluster's own tools).
    """
    con = duckdb.connect(str(path), read_only=True)
    target = _connect(url, read_only=False)
    if is_spark(url):
        database = database or _spark_database(url)
    elif target.name == "postgres" and not database:
        # postgresql://host/dbname/schema, as Ibis reads it; "public" without a schema.
        database = (urlparse(url).path[1:].split("/", 1)[1:] or ["public"])[0]
    try:
        names = local_tables(con)
        with tempfile.TemporaryDirectory(prefix="cx-push-") as folder:
            if target.name == "postgres":
                return _push_postgres(con, target, names, Path(folder), database)
            return _push_files(con, target, names, Path(folder), database)
    finally:
        con.close()
        if not is_spark(url):  # the Spark session is shared; anything else was opened for this copy
            target.disconnect()


def _schema_of(con: duckdb.DuckDBPyConnection, name: str) -> ibis.Schema:
    return ibis.duckdb.from_connection(con).table(name).schema()


def _push_postgres(con, target, names: list[str], folder: Path, database: str | None) -> dict[str, int]:
    raw = target.con  # the psycopg connection: COPY is the fast way in, and ibis has no bulk load
    schema = database
    with raw.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    raw.commit()
    copied = {}
    for name in names:
        target.create_table(name, schema=_schema_of(con, name), database=schema, overwrite=True)
        file = folder / f"{name}.csv"
        # The path is our own temporary file; COPY ... TO takes no parameters.
        con.execute(f"""COPY (SELECT * FROM "{name}") TO '{file}' (FORMAT csv, HEADER false)""")
        with raw.cursor() as cursor:
            with cursor.copy(f'COPY "{schema}"."{name}" FROM STDIN (FORMAT csv)') as copy:
                with file.open("rb") as source:
                    while block := source.read(1 << 20):
                        copy.write(block)
        raw.commit()
        copied[name] = con.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0]
        file.unlink()
    return copied


def _push_files(con, target, names: list[str], folder: Path, database: str | None) -> dict[str, int]:
    if database:
        target.create_database(database, force=True)
    copied = {}
    for name in names:
        file = folder / f"{name}.parquet"
        con.execute(f"""COPY "{name}" TO '{file}' (FORMAT parquet)""")
        staged = target.read_parquet(str(file))
        target.create_table(name, obj=staged, database=database, overwrite=True)
        copied[name] = con.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0]
    return copied
