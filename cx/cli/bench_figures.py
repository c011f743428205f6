"""The figure half of `python -m cx bench`: the same figures three ways, each in a process of its own.

    python -m cx.cli.bench_figures DB WAY REPEAT     WAY = metric | sql | pandas; prints one JSON object

- metric: our metric layer (Ibis over the DuckDB file), one read-only opening per figure as a page does;
- sql: one hand-written DuckDB query per figure on a connection kept open (the floor of the engine);
- pandas: the typical Streamlit dashboard: the three tables read into pandas once, then groupby.

Each figure's value is returned too, so the bench can check the three ways compute the same thing
(a faster way to a different number proves nothing). Peak memory is the process's own.
"""

from __future__ import annotations

import json
import resource
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta

import duckdb
import pandas as pd

from cx.analysis import metrics
from cx.analysis.filters import Filters
from cx.store import db

FIGURES = (
    ("nps_90d", "NPS, last 90 days"),
    ("nps_90d_smb_email", "NPS, last 90 days, SMB customers by e-mail"),
    ("csat_90d", "CSAT (% 4–5), last 90 days"),
    ("median_response_90d", "Median first response, last 90 days"),
    ("churn_90d", "Churn rate, last 90 days"),
    ("nps_by_segment_365d", "NPS by segment, last 365 days"),
    ("csat_by_week_365d", "CSAT per week, last 365 days"),
)


def periods(path: str) -> tuple[date, date, date]:
    """The last day with data, and the first days of the 90- and 365-day windows ending on it."""
    with db.reading(path) as backend:
        last = metrics.data_range(backend)[1]
    return last, Filters.default(today=last).start, Filters.default(today=last, days=365).start


def _nps(promoters: float, detractors: float, n: float) -> float | None:
    return 100.0 * (promoters - detractors) / n if n else None


# --- our metric layer --------------------------------------------------------------------------


def metric_way(path: str, last: date, start_90: date, start_365: date) -> dict[str, Callable[[], object]]:
    quarter, year = Filters.build(start_90, last), Filters.build(start_365, last)
    narrowed = quarter.with_values(segment=["SMB"], channel=["Email"])

    def on_backend(function: Callable) -> Callable[[], object]:
        def run() -> object:
            with db.reading(path) as backend:
                return function(backend)

        return run

    def single(key: str, filters: Filters) -> Callable[[], object]:
        return on_backend(lambda b: metrics.summary(b, key, filters, compare_previous=False).current.value)

    def grouped(b, key: str, filters: Filters, **kwargs) -> dict[str, float]:
        frame = (metrics.trend if "grain" in kwargs else metrics.breakdown)(b, key, filters, **kwargs)
        column = "period" if "grain" in kwargs else "group"
        return {str(k)[:10]: v for k, v in zip(frame[column], frame["value"], strict=True)}

    return {
        "nps_90d": single("nps", quarter),
        "nps_90d_smb_email": single("nps", narrowed),
        "csat_90d": single("csat", quarter),
        "median_response_90d": single("first_response_time", quarter),
        "churn_90d": single("churn_rate", quarter),
        "nps_by_segment_365d": on_backend(lambda b: grouped(b, "nps", year, by="segment")),
        "csat_by_week_365d": on_backend(lambda b: grouped(b, "csat", year, grain="week")),
    }


# --- raw DuckDB SQL ----------------------------------------------------------------------------

NPS_SQL = """SELECT count(*) FILTER (score >= 9), count(*) FILTER (score <= 6), count(*)
             FROM responses r {join} WHERE survey = 'nps' AND responded_at >= ? AND responded_at < ? {where}"""


def sql_way(path: str, last: date, start_90: date, start_365: date) -> dict[str, Callable[[], object]]:
    con = duckdb.connect(path, read_only=True)
    end = last + timedelta(days=1)

    def one(sql: str, params: list) -> tuple:
        return con.execute(sql, params).fetchall()[0]

    def nps(join: str = "", where: str = "", params: tuple = ()) -> float | None:
        promoters, detractors, n = one(NPS_SQL.format(join=join, where=where), [start_90, end, *params])
        return _nps(promoters, detractors, n)

    def csat() -> float | None:
        top2, n = one(
            "SELECT count(*) FILTER (score >= 4), count(*) FROM responses "
            "WHERE survey = 'csat' AND responded_at >= ? AND responded_at < ?",
            [start_90, end],
        )
        return 100.0 * top2 / n if n else None

    def median_response() -> float:
        return one(
            "SELECT median(response_time_s) FROM interactions "
            "WHERE occurred_at >= ? AND occurred_at < ? AND response_time_s >= 0",
            [start_90, end],
        )[0]

    def churn() -> float | None:
        churned, active = one(
            """SELECT count(*) FILTER (churn_date IS NOT NULL AND churn_date <= ?), count(*) FROM customers
               WHERE (signup_date IS NULL OR signup_date <= ?) AND (churn_date IS NULL OR churn_date >= ?)
                 AND NOT (churned AND churn_date IS NULL)""",
            [last, start_90, start_90],
        )
        return 100.0 * churned / active if active else None

    def nps_by_segment() -> dict[str, float]:
        rows = con.execute(
            """SELECT c.segment, count(*) FILTER (score >= 9), count(*) FILTER (score <= 6), count(*)
               FROM responses r JOIN customers c USING (customer_id)
               WHERE survey = 'nps' AND responded_at >= ? AND responded_at < ? GROUP BY 1 ORDER BY 1""",
            [start_365, end],
        ).fetchall()
        return {segment: _nps(p, d, n) for segment, p, d, n in rows}

    def csat_by_week() -> dict[str, float]:
        rows = con.execute(
            """SELECT date_trunc('week', responded_at), count(*) FILTER (score >= 4), count(*) FROM responses
               WHERE survey = 'csat' AND responded_at >= ? AND responded_at < ? GROUP BY 1 ORDER BY 1""",
            [start_365, end],
        ).fetchall()
        return {str(week)[:10]: 100.0 * top2 / n for week, top2, n in rows}

    smb_chat = "AND r.channel = ? AND r.customer_id IN (SELECT customer_id FROM customers WHERE segment = ?)"
    return {
        "nps_90d": nps,
        "nps_90d_smb_email": lambda: nps(where=smb_chat, params=("Email", "SMB")),
        "csat_90d": csat,
        "median_response_90d": median_response,
        "churn_90d": churn,
        "nps_by_segment_365d": nps_by_segment,
        "csat_by_week_365d": csat_by_week,
    }


# --- the pandas way ----------------------------------------------------------------------------


def load_frames(path: str) -> dict[str, pd.DataFrame]:
    """What a typical Streamlit dashboard does first: every table into memory."""
    con = duckdb.connect(path, read_only=True)
    try:
        return {name: con.execute(f"SELECT * FROM {name}").df() for name in ("customers", "interactions", "responses")}
    finally:
        con.close()


def pandas_way(frames: dict[str, pd.DataFrame], last: date, start_90: date, start_365: date) -> dict:
    customers, interactions, responses = frames["customers"], frames["interactions"], frames["responses"]
    end = pd.Timestamp(last + timedelta(days=1))

    def answers(survey: str, start: date) -> pd.DataFrame:
        r = responses
        return r[(r.survey == survey) & (r.responded_at >= pd.Timestamp(start)) & (r.responded_at < end)]

    def nps_of(scores: pd.Series) -> float | None:
        return _nps((scores >= 9).sum(), (scores <= 6).sum(), len(scores))

    def nps_smb_chat() -> float | None:
        r = answers("nps", start_90)
        smb = customers.loc[customers.segment == "SMB", "customer_id"]
        return nps_of(r[(r.channel == "Email") & r.customer_id.isin(smb)].score)

    def median_response() -> float:
        i = interactions
        window = i[(i.occurred_at >= pd.Timestamp(start_90)) & (i.occurred_at < end) & (i.response_time_s >= 0)]
        return float(window.response_time_s.median())

    def churn() -> float | None:
        c = customers
        start, stop = pd.Timestamp(start_90), pd.Timestamp(last)
        signup, gone = pd.to_datetime(c.signup_date), pd.to_datetime(c.churn_date)
        active = (signup.isna() | (signup <= start)) & (gone.isna() | (gone >= start)) & ~(c.churned & gone.isna())
        churned = active & gone.notna() & (gone <= stop)
        return 100.0 * churned.sum() / active.sum() if active.sum() else None

    def nps_by_segment() -> dict[str, float]:
        joined = answers("nps", start_365).merge(customers[["customer_id", "segment"]], on="customer_id")
        return {s: nps_of(g.score) for s, g in joined.groupby("segment", sort=True)}

    def csat_by_week() -> dict[str, float]:
        r = answers("csat", start_365)
        week = r.responded_at.dt.to_period("W-SUN").dt.start_time
        shares = (r.score >= 4).groupby(week).mean() * 100
        return {str(k)[:10]: float(v) for k, v in shares.items()}

    return {
        "nps_90d": lambda: nps_of(answers("nps", start_90).score),
        "nps_90d_smb_email": nps_smb_chat,
        "csat_90d": lambda: 100.0 * (answers("csat", start_90).score >= 4).mean(),
        "median_response_90d": median_response,
        "churn_90d": churn,
        "nps_by_segment_365d": nps_by_segment,
        "csat_by_week_365d": csat_by_week,
    }


# --- running one way ---------------------------------------------------------------------------


def _plain(value: object) -> object:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, str):
        return value
    return float(value)


def measure(path: str, way: str, repeat: int) -> dict:
    last, start_90, start_365 = periods(path)
    result: dict = {"way": way, "runs": repeat, "last_day": last.isoformat()}
    if way == "pandas":
        started = time.perf_counter()
        frames = load_frames(path)
        result["load_s"] = time.perf_counter() - started
        result["frames_mib"] = sum(f.memory_usage(deep=True).sum() for f in frames.values()) / 2**20
        figures = pandas_way(frames, last, start_90, start_365)
    elif way == "sql":
        figures = sql_way(path, last, start_90, start_365)
    else:
        figures = metric_way(path, last, start_90, start_365)
    result["figures"] = {}
    for key, _ in FIGURES:
        samples, value = [], None
        for _ in range(repeat):
            started = time.perf_counter()
            value = figures[key]()
            samples.append(time.perf_counter() - started)
        result["figures"][key] = {"median_s": statistics.median(samples), "samples_s": samples, "value": _plain(value)}
    result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1], sys.argv[2], int(sys.argv[3]))))
