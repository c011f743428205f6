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

- `rollup_stages`: per customer and journey stage, the first moment they had an interaction at it (the
  journey funnel reads it instead of every interaction in the history).

Every row carries the import_id of the events it counts. An import adds its share inside its own
transaction (`refresh`), an undo removes it (and re-counts the share of the imports its records were
handed on to), and a frozen snapshot (`db.pin`) shadows these tables by import_id like any other.

Customer fields (segment, region, plan, attributes) are left out on purpose: a later customers file can
replace or merge a customer, which would make every count held under their old segment stale. Figures
filtered or split by them, and figures under a row scope, are read from the raw tables (cx.analysis.rolled
decides). The rollups live only in the local file: a warehouse has none (`warehouse.SKIPPED_TABLES`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# No DuckDB import here: the metric layer reads this module's constants and must not pull DuckDB in.
Connection = Any  # a duckdb.DuckDBPyConnection

TABLES = ("rollup_responses", "rollup_interactions", "rollup_stages")
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


def _fill_all(where: str) -> list[str]:
    return [*_fill(where), _fill_stages(where)]


# The migrations that add the rollups build them for the rows a database already holds.
MIGRATION = CREATE + _fill("TRUE")
MIGRATION_STAGES = [CREATE_STAGES, _fill_stages("TRUE")]


def refresh(con: Connection, import_ids: Iterable[int]) -> None:
    """Re-count the share of these imports (their rows as stored now), inside the caller's transaction."""
    ids = sorted({int(i) for i in import_ids})
    if not ids:
        return
    listed = ", ".join(str(i) for i in ids)  # integers we formatted ourselves
    for table in TABLES:
        con.execute(f"DELETE FROM {table} WHERE import_id IN ({listed})")
    for statement in _fill_all(f"import_id IN ({listed})"):
        con.execute(statement)


def rebuild(con: Connection) -> None:
    """Count everything again (rows stored by hand, outside any import, included)."""
    for table in TABLES:
        con.execute(f"DELETE FROM {table}")
    for statement in _fill_all("TRUE"):
        con.execute(statement)
