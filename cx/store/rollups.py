"""Rollups kept at import: daily sufficient statistics, so a figure reads thousands of rows, not millions.

Two tables, one row per (import, day, survey or measure, event dimensions):

- `rollup_responses`: per day, survey, question, channel, journey stage and touchpoint, the additive
  statistics every survey metric is computed from (n, promoters, detractors, top-2, easy, sum, sum of
  squares). Sums of these are exactly what a query over the raw answers gives.
- `rollup_interactions`: per day, channel, journey stage and touchpoint, a fixed log-scale histogram of
  first-response and resolution times (measure `response_time_s` / `resolution_time_s`, bucket b holding
  the values in (4 h · 2^((b−1)/16), 4 h · 2^(b/16)]; bucket NULL holds zero), and measure `rows`, the
  number of interactions. A median or 90th percentile read from it is within 2^(1/32) − 1 ≈ 2.2% of the
  exact one (cx.analysis.rolled); "answered within 4 hours" is exact, 4 h being a bucket edge.

- `rollup_response_customers`: the survey statistics per day, survey, question and the answering
  customer's segment, region and plan (NULL for anonymous answers and customers we do not know). These
  depend on the customers table, which a later customers file may change, so the table is counted anew
  whenever the customers change (`refresh` compares `CUSTOMERS_SIGNATURE`, kept in `rollup_state`), and
  the metric layer reads it only while that signature matches the customers it sees: a frozen snapshot
  taken before a customers file changed them, or customers written by hand, read the raw tables.
  (Durations by customer field are not rolled up: with a histogram per segment × region × plan a day,
  the rows would be about as many as the interactions.)
- `rollup_stages`: per customer and journey stage, the first moment they had an interaction at it (the
  journey funnel reads it instead of every interaction in the history).

Every row carries the import_id of the events it counts. An import adds its share inside its own
transaction (`refresh`), an undo removes it (and re-counts the share of the imports its records were
handed on to), and a frozen snapshot (`db.pin`) shadows these tables by import_id like any other.

Customer fields (segment, region, plan) are only in `rollup_response_customers`, never mixed with the event
fields: a figure filtered by a customer field and an event field at once, by a customer attribute, or under
a row scope is read from the raw tables (cx.analysis.rolled decides). The rollups live only in the local file: a warehouse has none (`warehouse.SKIPPED_TABLES`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# No DuckDB import here: the metric layer reads this module's constants and must not pull DuckDB in.
Connection = Any  # a duckdb.DuckDBPyConnection

TABLES = ("rollup_responses", "rollup_interactions", "rollup_stages", "rollup_response_customers")
# What the customer-field rollup was counted with: customers' count and a hash of (id, segment, region, plan).
CUSTOMERS_SIGNATURE = """SELECT count(*)::VARCHAR || ':' || coalesce(sum(hash(customer_id, segment, region, plan)), 0)::VARCHAR
                         FROM customers"""
BUCKETS_PER_DOUBLING = 16
BUCKET_BASE_S = 4 * 3600  # a bucket edge: the default response target is answered exactly

CREATE = [
    """CREATE TABLE rollup_responses (
        import_id      INTEGER,
        day            DATE NOT NULL,
        survey         VARCHAR NOT NULL,
        question       VARCHAR,
        channel        VARCHAR,
        journey_stage  VARCHAR,
        touchpoint     VARCHAR,
        n              BIGINT NOT NULL,
        promoters      BIGINT NOT NULL,   -- 9-10
        detractors     BIGINT NOT NULL,   -- 0-6
        top2           BIGINT NOT NULL,   -- 4-5
        easy           BIGINT NOT NULL,   -- 5-7
        total          DOUBLE NOT NULL,   -- sum of scores
        total_sq       DOUBLE NOT NULL    -- sum of squared scores
    )""",
    """CREATE TABLE rollup_interactions (
        import_id      INTEGER,
        day            DATE NOT NULL,
        channel        VARCHAR,
        journey_stage  VARCHAR,
        touchpoint     VARCHAR,
        measure        VARCHAR NOT NULL,  -- rows | response_time_s | resolution_time_s
        bucket         INTEGER,           -- NULL: zero seconds (or, for rows, no bucket)
        n              BIGINT NOT NULL
    )""",
]


CREATE_STAGES = """CREATE TABLE rollup_stages (
        import_id      INTEGER,
        customer_id    VARCHAR NOT NULL,
        journey_stage  VARCHAR NOT NULL,
        first_at       TIMESTAMP NOT NULL  -- the customer's first interaction at the stage (in this import)
    )"""


def _bucket(column: str) -> str:
    return (
        f"CASE WHEN {column} = 0 THEN NULL "
        f"ELSE ceil({BUCKETS_PER_DOUBLING} * log2({column} / {BUCKET_BASE_S}))::INTEGER END"
    )


def _fill(where: str) -> list[str]:
    """INSERT statements counting the raw rows that match `where` (a condition on import_id)."""
    events = f"import_id, occurred_at::DATE AS day, channel, journey_stage, touchpoint FROM interactions WHERE {where}"
    durations = " UNION ALL ".join(
        f"""SELECT import_id, occurred_at::DATE, channel, journey_stage, touchpoint, '{column}', {_bucket(column)}
            FROM interactions WHERE ({where}) AND {column} >= 0"""
        for column in ("response_time_s", "resolution_time_s")
    )
    return [
        f"""INSERT INTO rollup_responses
            SELECT import_id, responded_at::DATE, survey, question, channel, journey_stage, touchpoint,
                   count(*), count(*) FILTER (score >= 9), count(*) FILTER (score <= 6),
                   count(*) FILTER (score >= 4), count(*) FILTER (score >= 5),
                   sum(score::DOUBLE), sum(score::DOUBLE * score)
            FROM responses WHERE {where}
            GROUP BY ALL""",
        f"""INSERT INTO rollup_interactions
            SELECT import_id, day, channel, journey_stage, touchpoint, 'rows', NULL, count(*)
            FROM (SELECT {events}) GROUP BY ALL
            UNION ALL
            SELECT import_id, day, channel, journey_stage, touchpoint, measure, bucket, count(*)
            FROM ({durations}) AS d(import_id, day, channel, journey_stage, touchpoint, measure, bucket)
            GROUP BY ALL""",
    ]


def _fill_stages(where: str) -> str:
    return f"""INSERT INTO rollup_stages
               SELECT import_id, customer_id, journey_stage, min(occurred_at) FROM interactions
               WHERE ({where}) AND customer_id IS NOT NULL AND journey_stage IS NOT NULL
               GROUP BY ALL"""


CREATE_CUSTOMERS = [
    """CREATE TABLE rollup_response_customers (
        import_id  INTEGER,
        day        DATE NOT NULL,
        survey     VARCHAR NOT NULL,
        question   VARCHAR,
        segment    VARCHAR,
        region     VARCHAR,
        plan       VARCHAR,
        n BIGINT NOT NULL, promoters BIGINT NOT NULL, detractors BIGINT NOT NULL, top2 BIGINT NOT NULL,
        easy BIGINT NOT NULL, total DOUBLE NOT NULL, total_sq DOUBLE NOT NULL
    )""",
    "CREATE TABLE rollup_state (name VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)",
]


def _fill_customers(where: str) -> str:
    return f"""INSERT INTO rollup_response_customers
               SELECT r.import_id, r.responded_at::DATE, r.survey, r.question, c.segment, c.region, c.plan,
                      count(*), count(*) FILTER (score >= 9), count(*) FILTER (score <= 6),
                      count(*) FILTER (score >= 4), count(*) FILTER (score >= 5),
                      sum(score::DOUBLE), sum(score::DOUBLE * score)
               FROM responses r LEFT JOIN customers c ON c.customer_id = r.customer_id
               WHERE {where.replace("import_id", "r.import_id")}
               GROUP BY ALL"""


_SIGN = f"INSERT OR REPLACE INTO rollup_state VALUES ('customers', ({CUSTOMERS_SIGNATURE}))"


def _fill_all(where: str) -> list[str]:
    return [*_fill(where), _fill_stages(where), _fill_customers(where)]


# The migrations that add the rollups build them for the rows a database already holds.
MIGRATION = CREATE + _fill("TRUE")
MIGRATION_STAGES = [CREATE_STAGES, _fill_stages("TRUE"), *CREATE_CUSTOMERS, _fill_customers("TRUE"), _SIGN]


def _customers_changed(con: Connection) -> bool:
    stored = con.execute("SELECT value FROM rollup_state WHERE name = 'customers'").fetchall()
    return not stored or stored[0][0] != con.execute(CUSTOMERS_SIGNATURE).fetchall()[0][0]


def refresh(con: Connection, import_ids: Iterable[int]) -> None:
    """Re-count the share of these imports (their rows as stored now), inside the caller's transaction."""
    ids = sorted({int(i) for i in import_ids})
    if not ids:
        return
    listed = ", ".join(str(i) for i in ids)  # integers we formatted ourselves
    share = f"import_id IN ({listed})"
    # A customer whose segment, region or plan changed (or who is new) moves every count of theirs: then
    # the customer-field rollup is counted anew, the others by share.
    moved = _customers_changed(con)
    for table in TABLES:
        everything = moved and table == "rollup_response_customers"
        con.execute(f"DELETE FROM {table}" + ("" if everything else f" WHERE {share}"))
    for statement in [*_fill(share), _fill_stages(share), _fill_customers("TRUE" if moved else share)]:
        con.execute(statement)
    if moved:
        con.execute(_SIGN)


def rebuild(con: Connection) -> None:
    """Count everything again (rows stored by hand, outside any import, included)."""
    for table in TABLES:
        con.execute(f"DELETE FROM {table}")
    for statement in _fill_all("TRUE"):
        con.execute(statement)
    con.execute(_SIGN)
