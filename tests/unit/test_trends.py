"""Trend points: which periods the data covers, and at most six lines on a chart."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from cx.analysis import metrics, trends
from cx.analysis.filters import Filters
from cx.store import db
from tests.conftest import build_db

# The metric suite: every test here runs on DuckDB, PostgreSQL and Spark (tests/engines.py).
pytestmark = pytest.mark.usefixtures("engine")


def test_a_week_the_data_has_only_begun_is_so_far_and_one_cut_by_the_range_is_partial():
    # Range Wed 2 Sep – Mon 30 Nov 2026; data to Mon 30 Nov. Weeks start on Monday.
    weeks = pd.date_range("2026-08-31", "2026-11-30", freq="W-MON")
    covered = trends.coverage(
        weeks, "week", date(2026, 9, 2), date(2026, 11, 30), (date(2024, 12, 1), date(2026, 11, 30))
    )
    assert covered["status"].iloc[0] == "partial" and covered["covered_days"].iloc[0] == 5
    assert (covered["status"].iloc[1:-1] == "complete").all()
    assert covered["status"].iloc[-1] == "so far" and covered["covered_days"].iloc[-1] == 1


def test_a_quarter_with_two_of_its_three_months_is_so_far():
    covered = trends.coverage(["2026-07-01", "2026-10-01"], "quarter", date(2026, 7, 1), date(2026, 12, 31),
                              (date(2026, 1, 1), date(2026, 11, 30)))  # fmt: skip
    assert covered["status"].tolist() == ["complete", "so far"]
    assert covered["covered_days"].tolist() == [92, 61]


def test_more_than_six_groups_become_the_five_largest_and_the_rest(db_file):
    # Eight touchpoints; T0 has 80 CSAT answers, T1 70, … T7 10. The three smallest pool into "The rest".
    rows = []
    for t in range(8):
        for i in range(80 - 10 * t):
            rows.append(dict(response_id=f"{t}-{i}", responded_at=datetime(2026, 1, 5), survey="csat",
                             score=5 if i % 2 else 2, touchpoint=f"T{t}"))  # fmt: skip
    build_db(db_file, responses=rows)
    with db.reading(db_file) as backend:
        frame = trends.trend(backend, "csat", Filters.build(date(2026, 1, 1), date(2026, 1, 31)), "month", "touchpoint")
    assert frame["group"].tolist() == ["T0", "T1", "T2", "T3", "T4", metrics.REST]
    assert frame.set_index("group").loc[metrics.REST, "n"] == 30 + 20 + 10
