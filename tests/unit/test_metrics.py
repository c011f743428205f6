"""Metric definitions through the real SQL path (DuckDB via Ibis), against values computed by hand."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cx.analysis import metrics, stats
from cx.analysis.filters import Filters
from cx.store import db
from tests.conftest import build_db

# The metric suite: every test here runs on DuckDB, PostgreSQL and Spark (tests/engines.py).
pytestmark = pytest.mark.usefixtures("engine")

JAN = Filters.build(date(2026, 1, 1), date(2026, 1, 31))


def survey_rows(survey, scores, customer=None, day=datetime(2026, 1, 10), prefix="R"):
    return [
        dict(response_id=f"{prefix}{i}", customer_id=customer, responded_at=day, survey=survey, score=s)
        for i, s in enumerate(scores)
    ]


def nps_rows(scores, customer=None, day=datetime(2026, 1, 10), prefix="R"):
    return survey_rows("nps", scores, customer, day, prefix)


def summary(path, key, filters=JAN, **kwargs):
    with db.reading(path) as backend:
        return metrics.summary(backend, key, filters, **kwargs)


def test_nps_of_published_example_is_33_point_3(db_file):
    build_db(db_file, responses=nps_rows([0, 7, 7, 9, 9, 9]))
    result = summary(db_file, "nps").current
    assert result.value == pytest.approx(100 / 3)  # 3 promoters − 1 detractor of 6
    assert result.standard_error == pytest.approx(0.304, abs=0.001)


@pytest.mark.parametrize(
    ("scores", "expected"),
    [([7, 8, 9], 100 / 3), ([0, 9], 0.0), ([9, 10], 100.0), ([6, 7, 8, 9], 0.0), ([6], -100.0)],
)
def test_nps_follows_the_boundaries_6_7_8_9(db_file, scores, expected):
    build_db(db_file, responses=nps_rows(scores))
    assert summary(db_file, "nps").current.value == pytest.approx(expected)


def test_a_metric_with_no_data_is_none_not_zero(db_file):
    build_db(db_file)
    for key in ("nps", "csat", "ces", "first_response_time"):
        assert summary(db_file, key).current.value is None


def test_responses_outside_the_period_are_left_out(db_file):
    build_db(db_file, responses=nps_rows([10, 10]) + nps_rows([0], day=datetime(2026, 2, 1), prefix="F"))
    assert summary(db_file, "nps").current.n == 2


def test_csat_is_the_share_of_4_and_5_with_wilson_interval(db_file):
    scores = [5, 4, 4, 3, 1, 5, 2, 4, 5, 3]  # 6 of 10 are 4-5
    build_db(db_file, responses=survey_rows("csat", scores))
    result = summary(db_file, "csat")
    assert result.current.value == pytest.approx(60.0)
    assert (result.current.ci_low, result.current.ci_high) == pytest.approx(
        (stats.proportion(6, 10).ci_low, stats.proportion(6, 10).ci_high)
    )
    assert result.extra["mean"] == pytest.approx(3.6)


def test_ces_is_the_mean_with_share_of_easy_answers(db_file):
    scores = [7, 6, 5, 2, 5]  # mean 5.0, 4 of 5 answer 5-7
    build_db(db_file, responses=survey_rows("ces", scores))
    result = summary(db_file, "ces")
    assert result.current.value == pytest.approx(5.0)
    assert result.extra["easy_share"] == pytest.approx(80.0)
    # sample sd = sqrt(((2)^2+1+0+9+0)/4) = sqrt(3.5); t(4) = 2.776
    assert result.current.ci_high - 5.0 == pytest.approx(2.776445 * (3.5**0.5) / 5**0.5, rel=1e-4)


def customers_for_churn():
    return [
        # active all January
        dict(customer_id="A", signup_date=date(2025, 1, 1)),
        # churns in January
        dict(customer_id="B", signup_date=date(2025, 1, 1), churn_date=date(2026, 1, 15), churned=True),
        # churned before the period: not active at its start, so not in the denominator
        dict(customer_id="C", signup_date=date(2024, 1, 1), churn_date=date(2025, 12, 31), churned=True),
        # signs up during the period: not active at its start
        dict(customer_id="D", signup_date=date(2026, 1, 10)),
        # churns on the first day of the period: active at its start, churned within it
        dict(customer_id="E", signup_date=date(2025, 6, 1), churn_date=date(2026, 1, 1), churned=True),
    ]


def test_churn_rate_counts_churn_in_period_over_customers_active_at_its_start(db_file):
    build_db(db_file, customers=customers_for_churn())
    result = summary(db_file, "churn_rate")
    assert result.basis == "period"
    assert (result.extra["churned"], result.extra["customers"]) == (2, 3)  # B and E of A, B, E
    assert result.current.value == pytest.approx(200 / 3)
    assert summary(db_file, "retention_rate").current.value == pytest.approx(100 / 3)


def test_churn_without_dates_is_a_labelled_snapshot(db_file):
    build_db(db_file, customers=[dict(customer_id=str(i), churned=i < 3) for i in range(10)])
    result = summary(db_file, "churn_rate")
    assert result.basis == "snapshot"
    assert result.current.value == pytest.approx(30.0)
    assert result.previous is None and not result.comparison.significant


def test_attribute_filters_and_splits_use_imported_attributes(db_file):
    customers = [dict(customer_id=str(i), churned=i % 2 == 0) for i in range(8)]
    attributes = [
        dict(customer_id=str(i), attribute="Contract", value="Monthly" if i < 4 else "Annual") for i in range(8)
    ]
    build_db(db_file, customers=customers, attributes=attributes)
    monthly = summary(db_file, "churn_rate", JAN.with_attribute("Contract", ["Monthly"]))
    assert monthly.extra["customers"] == 4
    with db.reading(db_file) as backend:
        split = metrics.breakdown(backend, "churn_rate", JAN, by="attr.Contract")
    assert dict(zip(split["group"], split["n"], strict=True)) == {"Annual": 4, "Monthly": 4}


def test_customer_filters_exclude_anonymous_responses(db_file):
    build_db(
        db_file,
        customers=[dict(customer_id="A", segment="SMB")],
        responses=nps_rows([10], customer="A") + nps_rows([0, 0], prefix="anon"),
    )
    assert summary(db_file, "nps").current.n == 3
    assert summary(db_file, "nps", JAN.with_values(segment=["SMB"])).current.value == 100.0


def test_relationship_nps_counts_each_customers_latest_answer(db_file):
    responses = (
        nps_rows([0], customer="A", day=datetime(2026, 1, 2), prefix="a1")
        + nps_rows([10], customer="A", day=datetime(2026, 1, 20), prefix="a2")
        + nps_rows([8], customer="B", prefix="b")
    )
    build_db(db_file, responses=responses)
    assert summary(db_file, "nps").current.n == 3
    per_customer = summary(db_file, "nps_customers").current
    assert (per_customer.n, per_customer.value) == (2, 50.0)  # A's 10 and B's 8


def test_a_change_is_significant_only_when_the_test_says_so(db_file):
    december = datetime(2025, 12, 10)
    rows = nps_rows([10] * 60 + [0] * 40) + nps_rows([10] * 40 + [0] * 60, day=december, prefix="D")
    build_db(db_file, responses=rows)
    big = summary(db_file, "nps")
    assert big.change == pytest.approx(40.0) and big.comparison.significant and big.improved is True

    build_db(
        db_file.with_name("small.duckdb"),
        responses=nps_rows([10, 0, 10]) + nps_rows([10, 0, 0], day=december, prefix="D"),
    )
    small = summary(db_file.with_name("small.duckdb"), "nps")
    assert small.change == pytest.approx(200 / 3) and not small.comparison.significant and small.improved is None


def test_median_first_response_time_with_order_statistic_interval(db_file):
    times = [float(t) for t in range(1, 101)]  # median 50.5
    rows = [
        dict(interaction_id=f"I{i}", occurred_at=datetime(2026, 1, 5), response_time_s=t) for i, t in enumerate(times)
    ]
    build_db(db_file, interactions=rows)
    result = summary(db_file, "first_response_time")
    assert result.current.value == pytest.approx(50.5)
    assert result.extra["p90"] == pytest.approx(90.1)
    # ranks 50 ± 0.98·√100 = 40.2 … 59.8 → values 41 (rank 40) and 61 (rank 60), 0-based
    assert (result.current.ci_low, result.current.ci_high) == (41.0, 61.0)


def test_trend_splits_by_segment_with_n_per_period(db_file):
    customers = [dict(customer_id="A", segment="SMB"), dict(customer_id="B", segment="Enterprise")]
    responses = (
        nps_rows([10, 10], customer="A")
        + nps_rows([0], customer="B", prefix="B")
        + nps_rows([9], customer="A", day=datetime(2026, 2, 3), prefix="F")
    )
    build_db(db_file, customers=customers, responses=responses)
    with db.reading(db_file) as backend:
        frame = metrics.trend(backend, "nps", Filters.build(date(2026, 1, 1), date(2026, 2, 28)), "month", by="segment")
    rows = {(r.period.month, r.group): (r.value, r.n) for r in frame.itertuples()}
    assert rows == {(1, "Enterprise"): (-100.0, 1), (1, "SMB"): (100.0, 2), (2, "SMB"): (100.0, 1)}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    scores=st.lists(
        st.tuples(st.integers(0, 10), st.sampled_from(["SMB", "Enterprise"]), st.integers(1, 28)),
        min_size=1,
        max_size=60,
    )
)
def test_sql_path_agrees_with_plain_python(tmp_path_factory, scores):
    path = tmp_path_factory.mktemp("prop") / "cx.duckdb"
    customers = [dict(customer_id="SMB", segment="SMB"), dict(customer_id="Enterprise", segment="Enterprise")]
    responses = [
        dict(response_id=str(i), customer_id=segment, responded_at=datetime(2026, 1, day), survey="nps", score=score)
        for i, (score, segment, day) in enumerate(scores)
    ]
    build_db(path, customers=customers, responses=responses)
    with db.reading(path) as backend:
        frame = metrics.breakdown(backend, "nps", JAN, by="segment")
    for row in frame.itertuples():
        mine = [s for s, segment, _ in scores if segment == row.group]
        expected = 100 * (sum(s >= 9 for s in mine) - sum(s <= 6 for s in mine)) / len(mine)
        assert row.value == pytest.approx(expected)
        assert row.n == len(mine)


def test_filters_round_trip_through_the_url():
    chosen = Filters.build(date(2026, 1, 1), date(2026, 3, 31), segment=["SMB", "Enterprise"]).with_attribute(
        "Contract", ["Two year"]
    )
    assert Filters.from_query_params(chosen.to_query_params()) == chosen


def test_previous_period_has_equal_length():
    previous = JAN.previous()
    assert (previous.start, previous.end, previous.days) == (date(2025, 12, 1), date(2025, 12, 31), 31)


def test_every_metric_is_documented_in_the_readme():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    table = [line for line in readme.splitlines() if line.startswith("| ")]
    for metric in metrics.METRICS.values():
        name = metric.label.replace(" (median)", "").replace(" (to date)", "").replace(" (per customer)", "")
        assert any(line.startswith(f"| {name}") or f"| {metric.label}" in line for line in table), metric.label


def test_observed_clv_counts_purchasers_no_customers_file_listed(db_file):
    # A transactions-only data set (like CDNOW): A spent 30 + 10, B spent 20; C is listed but bought nothing.
    interactions = [
        dict(interaction_id=str(i), customer_id=c, occurred_at=datetime(2026, 1, d), revenue=r)
        for i, (c, d, r) in enumerate([("A", 3, 30.0), ("A", 9, 10.0), ("B", 5, 20.0)])
    ]
    build_db(db_file, customers=[dict(customer_id="C")], interactions=interactions)
    result = summary(db_file, "clv_observed", compare_previous=False)
    assert (result.current.value, result.current.n) == (pytest.approx(20.0), 3)  # 60 over A, B and C


def test_observed_clv_without_any_revenue_is_unknown_not_zero(db_file):
    build_db(db_file, customers=[dict(customer_id="C")])
    assert summary(db_file, "clv_observed").current.value is None


def test_a_malformed_link_falls_back_to_the_default_period():
    today = date(2026, 6, 30)
    parsed = Filters.from_query_params({"from": "yesterday", "to": "2026-13-45", "segment": ["SMB"]}, today=today)
    assert (parsed.start, parsed.end) == (Filters.default(today).start, today)
    assert parsed.values("segment") == ("SMB",)


def test_reversed_dates_in_a_link_fall_back_to_the_default_period():
    today = date(2026, 6, 30)
    parsed = Filters.from_query_params({"from": "2026-03-31", "to": "2026-01-01"}, today=today)
    assert (parsed.start, parsed.end) == (Filters.default(today).start, today)


def test_observed_clv_over_a_long_range_is_drawn_per_month_at_most(db_file):
    build_db(
        db_file, interactions=[dict(interaction_id="1", customer_id="A", occurred_at=datetime(2026, 1, 5), revenue=5.0)]
    )
    with db.reading(db_file) as backend:
        frame = metrics.trend(backend, "clv_observed", Filters.build(date(2025, 1, 1), date(2026, 6, 30)), "day")
    # months, not 546 days: the population is empty until A's first purchase in January 2026
    assert list(frame["period"].dt.strftime("%Y-%m-%d")) == [f"2026-0{m}-01" for m in range(1, 7)]
    assert frame["value"].iloc[-1] == pytest.approx(5.0)
