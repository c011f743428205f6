"""A period and the one before it from one query (`metrics.sufficient_stats_pair`) give exactly what two
separate queries give, on the rollups and on the raw tables, for every kind of metric and split."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from cx.analysis import briefing, metrics, scope
from cx.analysis import filters as flt
from cx.analysis.filters import Filters
from cx.store import db

KEYS = ("nps", "csat", "ces", "first_response_time", "resolution_time", "nps_customers", "churn_rate", "retention_rate")
SPLITS = (None, "segment", "channel", "touchpoint")


def _last_quarter(path) -> Filters:
    with db.reading(path) as backend:
        _, end = metrics.data_range(backend)
    return Filters.default(end, days=90)


def _apart(backend, key: str, filters: Filters, by: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    return (metrics.sufficient_stats(backend, key, filters, by=by),
            metrics.sufficient_stats(backend, key, filters.previous(), by=by))  # fmt: skip


@pytest.mark.parametrize("rollups", ["on", "off"])
@pytest.mark.parametrize("by", SPLITS)
@pytest.mark.parametrize("where", [{}, {"channel": ["Email", "Chat"]}, {"segment": ["SMB"]}])
def test_both_periods_from_one_query_are_the_two_periods_apart(demo_db, monkeypatch, rollups, by, where):
    monkeypatch.setenv("CX_ROLLUPS", rollups)
    filters = _last_quarter(demo_db).with_values(**where)
    with db.reading(demo_db) as backend:
        for key in KEYS:
            if by in ("channel", "touchpoint") and metrics.METRICS[key].source == "customers":
                continue  # churn is split by customer fields only
            paired = metrics.sufficient_stats_pair(backend, key, filters, by=by)
            for got, expected in zip(paired, _apart(backend, key, filters, by), strict=True):
                assert len(expected) > 0, (key, by)
                got = got.drop(columns="above", errors="ignore")  # Mood's test counts, read with the pair
                pd.testing.assert_frame_equal(got, expected, check_dtype=False, obj=f"{key} by {by}")


def test_a_pair_splits_at_the_first_day_of_the_current_period(db_file):
    """An answer on the current period's first day counts in it; one the day before counts in the previous."""
    from tests.conftest import build_db

    answers = [
        {"response_id": "a", "customer_id": None, "responded_at": "2026-03-01 00:00:00", "survey": "nps", "score": 10},
        {"response_id": "b", "customer_id": None, "responded_at": "2026-02-28 23:59:59", "survey": "nps", "score": 0},
        {"response_id": "c", "customer_id": None, "responded_at": "2026-03-31 23:59:59", "survey": "nps", "score": 9},
        {"response_id": "d", "customer_id": None, "responded_at": "2026-01-29 00:00:00", "survey": "nps", "score": 3},
        {"response_id": "e", "customer_id": None, "responded_at": "2026-01-28 23:59:59", "survey": "nps", "score": 3},
    ]
    path = build_db(db_file, responses=answers)
    march = Filters(start=date(2026, 3, 1), end=date(2026, 3, 31))  # previous: 29 Jan – 28 Feb
    with db.reading(path) as backend:
        now, before = metrics.sufficient_stats_pair(backend, "nps", march)
    assert (now["n"].iloc[0], now["promoters"].iloc[0], now["detractors"].iloc[0]) == (2, 2, 0)
    assert (before["n"].iloc[0], before["promoters"].iloc[0], before["detractors"].iloc[0]) == (2, 0, 2)
    assert now["period"].iloc[0] == pd.Timestamp("2026-03-01")
    assert before["period"].iloc[0] == pd.Timestamp("2026-01-29")


def test_the_overview_and_its_briefing_in_one_reading_are_the_separate_figures(demo_db):
    filters = _last_quarter(demo_db)
    with db.reading(demo_db) as backend:
        viewer = scope.restrict(backend, (), mask=True)  # what the app reads through for a viewer
        tiles, found = briefing.with_tiles(viewer, filters)
        alone = briefing.briefing(viewer, filters)
        summaries = [metrics.summary(viewer, key, filters) for key in briefing.HEADLINE_KEYS]
    assert [f.text for f in found] == [f.text for f in alone]
    assert [s.current for s, _ in tiles] == [s.current for s in summaries]
    assert [s.comparison for s, _ in tiles] == [s.comparison for s in summaries]


def test_a_summary_compares_the_same_periods_paired_or_not(demo_db):
    filters = _last_quarter(demo_db).with_values(segment=["SMB"])
    with db.reading(demo_db) as backend:
        for key in ("nps", "csat", "first_response_time"):
            now, before = _apart(backend, key, filters, None)
            summary = metrics.summary(backend, key, filters)
            assert summary.current == metrics.estimate(key, now.iloc[0].to_dict())[0]
            assert summary.previous == metrics.estimate(key, before.iloc[0].to_dict())[0]
            assert summary.previous.n > 0


@pytest.mark.parametrize("rollups", ["on", "off"])
@pytest.mark.parametrize("where", [{}, {"segment": ["SMB"]}])
def test_a_duration_pair_counts_above_the_pooled_median_as_moods_test_alone(demo_db, monkeypatch, rollups, where):
    """Read raw, the pair carries Mood's test counts (above the median of both periods together): the same
    counts, so the same test, as the query of its own that the rollups still send."""
    monkeypatch.setenv("CX_ROLLUPS", rollups)
    filters = _last_quarter(demo_db).with_values(**where)
    with db.reading(demo_db) as backend:
        for key in ("first_response_time", "resolution_time"):
            now, before = (frame.iloc[0].to_dict() for frame in _apart(backend, key, filters, None))
            alone = metrics._median_test_counts(backend, key, filters, now, before)
            summary = metrics.summary(backend, key, filters)
            assert 0 < alone[0]["above"] < alone[0]["n"] and 0 < alone[1]["above"] < alone[1]["n"]
            assert summary.comparison == metrics.compare(key, *alone)
            paired = [frame.iloc[0].to_dict() for frame in metrics.sufficient_stats_pair(backend, key, filters)]
            if rollups == "off" or where:  # raw: the counts came with the pair
                assert [row["above"] for row in paired] == [row["above"] for row in alone]


@pytest.mark.parametrize("rollups", ["on", "off"])
@pytest.mark.parametrize("by", [None, "region", "touchpoint"])
def test_surveys_read_together_each_count_only_their_own_answers(demo_db, monkeypatch, rollups, by):
    """NPS, CSAT and CES come from one query: each must hold exactly its own survey's answers."""
    monkeypatch.setenv("CX_ROLLUPS", rollups)
    filters = _last_quarter(demo_db)
    with db.reading(demo_db) as backend:
        for key in metrics.SHARED_SURVEYS:
            got = metrics.sufficient_stats(backend, key, filters, by=by)
            per = (by,) if by == "touchpoint" else ()
            answers = flt.responses(backend, filters, survey=key, per=per).execute()
            if by == "region":
                regions = backend.table("customers").select("customer_id", "region").execute()
                answers = answers.merge(regions, on="customer_id", how="left")
            answers["group"] = answers[by].fillna(metrics.UNKNOWN) if by else metrics.ALL
            score = answers["score"]
            expected = (
                answers.assign(promoters=score >= 9, detractors=score <= 6, top2=score >= 4, easy=score >= 5)
                .groupby("group")[["promoters", "detractors", "top2", "easy"]]
                .sum()
            )
            expected["n"] = answers.groupby("group").size()
            expected["total"] = answers.groupby("group")["score"].sum()
            assert len(expected) > 0, key
            got = got.set_index("group")[expected.columns].sort_index()
            pd.testing.assert_frame_equal(got, expected.sort_index(), check_dtype=False, check_names=False, obj=key)


def _customer(customer_id: str, signup: str, churn: str | None = None) -> dict:
    return {"customer_id": customer_id, "segment": "SMB", "signup_date": signup, "churn_date": churn,
            "churned": churn is not None}  # fmt: skip


def test_churn_of_a_period_and_the_one_before_from_one_query_counts_each_at_its_own_start(db_file):
    """March against 29 Jan – 28 Feb, worked by hand: active at a period's start, churned within it."""
    from tests.conftest import build_db

    path = build_db(db_file, customers=[
        _customer("A", "2025-01-01", "2026-02-28"),  # churned on the previous period's last day
        _customer("B", "2025-01-01", "2026-03-01"),  # churned on March's first day: active at its start
        _customer("C", "2026-03-01"),  # signed up on March's first day: active at its start
        _customer("D", "2026-02-10"),  # signed up inside the previous period: active from March
        _customer("E", "2025-01-01"),
    ])  # fmt: skip
    march = Filters(start=date(2026, 3, 1), end=date(2026, 3, 31))
    with db.reading(path) as backend:
        now, before = metrics.sufficient_stats_pair(backend, "churn_rate", march)
        apart = _apart(backend, "churn_rate", march, None)
    assert (now["customers"].iloc[0], now["churned"].iloc[0]) == (4, 1)
    assert (before["customers"].iloc[0], before["churned"].iloc[0]) == (3, 1)
    pd.testing.assert_frame_equal(now, apart[0], check_dtype=False)
    pd.testing.assert_frame_equal(before, apart[1], check_dtype=False)


def test_customers_without_dates_are_one_snapshot_in_both_periods(db_file):
    from tests.conftest import build_db

    people = [{"customer_id": f"C{i}", "segment": "SMB", "churned": i % 4 == 0} for i in range(40)]
    path = build_db(db_file, customers=people)
    march = Filters(start=date(2026, 3, 1), end=date(2026, 3, 31))
    with db.reading(path) as backend:
        paired = metrics.sufficient_stats_pair(backend, "churn_rate", march)
        apart = _apart(backend, "churn_rate", march, None)
        summary = metrics.summary(backend, "churn_rate", march)
    for got, expected in zip(paired, apart, strict=True):
        pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert (paired[0]["customers"].iloc[0], paired[0]["churned"].iloc[0], paired[0]["basis"].iloc[0]) == (
        40,
        10,
        "snapshot",
    )
    assert summary.basis == "snapshot" and summary.previous is None
