"""Annotations: stored with author and date, read per metric and period, and a before/after test across each."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from cx import charts
from cx.analysis import metrics, narrative, trends, units
from cx.analysis.filters import Filters
from cx.reports import exports
from cx.store import annotations, db
from tests.conftest import build_db

EVENT = date(2026, 7, 1)


def incident_db(path):
    """CSAT in the 28 days before 1 Jul 2026: 32 of 40 satisfied (80%); in the 28 days from then: 20 of 40 (50%)."""
    rows = []
    for window, satisfied, start in (("before", 32, date(2026, 6, 3)), ("after", 20, EVENT)):
        for i in range(40):
            day = datetime.combine(start + timedelta(days=i % 28), datetime.min.time()) + timedelta(hours=12)
            rows.append(
                dict(response_id=f"{window}{i}", responded_at=day, survey="csat", score=5 if i < satisfied else 2)
            )
    return build_db(path, responses=rows)


PERIOD = Filters(start=date(2026, 6, 1), end=date(2026, 7, 31))


def test_an_annotation_is_stored_with_its_author_and_read_back_on_its_metric_only(tmp_path):
    path = incident_db(tmp_path / "cx.duckdb")
    annotations.add("csat", EVENT, "  New billing   system live ", "ana@example.com", path)
    annotations.add("nps", date(2026, 6, 10), "Survey reworded", "bo@example.com", path)
    annotations.add(None, date(2026, 7, 20), "Price change", "ana@example.com", path)
    annotations.add("csat", date(2026, 9, 1), "Outside the period", "ana@example.com", path)
    with db.reading(path) as backend:
        notes = trends.annotations(backend, "csat", PERIOD)
    assert list(notes["label"]) == ["New billing system live", "Price change"]  # trimmed, in date order
    assert list(notes["author"]) == ["ana@example.com", "ana@example.com"]
    assert notes["created_at"].notna().all() and list(notes["day"]) == [EVENT, date(2026, 7, 20)]


def test_an_annotation_without_a_label_or_with_a_long_one_is_refused_with_the_reason(tmp_path):
    with pytest.raises(ValueError, match="needs a label"):
        annotations.clean_label("   ")
    with pytest.raises(ValueError, match="at most 80 characters; this one has 81"):
        annotations.clean_label("x" * 81)


def test_removing_an_annotation_takes_it_off_the_charts(tmp_path):
    path = incident_db(tmp_path / "cx.duckdb")
    first = annotations.add("csat", EVENT, "New billing system live", "ana@example.com", path)
    assert annotations.remove(first, path) and not annotations.remove(first, path)
    with db.reading(path) as backend:
        assert trends.annotations(backend, "csat", PERIOD).empty


def test_the_test_across_an_annotation_compares_28_days_after_with_28_days_before(tmp_path):
    path = incident_db(tmp_path / "cx.duckdb")
    annotations.add("csat", EVENT, "New billing system live", "ana@example.com", path)
    with db.reading(path) as backend:
        (result,) = trends.across_annotations(backend, "csat", PERIOD)
    assert result.days == 28 and result.summary.current.n == 40 and result.summary.previous.n == 40
    # 20/40 against 32/40: pooled p = 52/80 = 0.65, SE = √(0.65 · 0.35 · 2/40) = 10.67 pts, z = −2.81;
    # margin 1.96 × 10.67 = 20.9 pts.
    text = narrative.across_headline(result.note["label"], result.note["day"], result.days, result.summary,
                                     metrics.METRICS["csat"])  # fmt: skip
    assert text == (
        "Across “New billing system live” (1 Jul 2026): CSAT 50% in the 28 days from then, down 30.0 pts on the "
        "28 days before (±20.9), n = 40."
    )


def test_an_annotation_near_the_end_of_the_data_is_not_tested(tmp_path):
    path = incident_db(tmp_path / "cx.duckdb")  # the data ends on 28 Jul
    annotations.add("csat", date(2026, 7, 25), "Too recent", "ana@example.com", path)
    with db.reading(path) as backend:
        (result,) = trends.across_annotations(backend, "csat", PERIOD)
    assert result.summary is None
    text = narrative.across_headline("Too recent", date(2026, 7, 25), result.days, None, metrics.METRICS["csat"])
    assert (
        text
        == "Across “Too recent” (25 Jul 2026): too close to the edge of the data to compare a week before with a week after."
    )


def test_a_trend_table_carries_the_annotations_of_each_period(tmp_path):
    path = incident_db(tmp_path / "cx.duckdb")
    annotations.add("csat", EVENT, "New billing system live", "ana@example.com", path)
    with db.reading(path) as backend:
        frame = trends.trend(backend, "csat", PERIOD, "month")
        labelled = trends.label_periods(frame, trends.annotations(backend, "csat", PERIOD))
    assert dict(zip(labelled["period"].dt.month, labelled["annotation"], strict=True)) == {
        6: "",
        7: "New billing system live (01 Jul)",
    }


def test_the_trend_csv_carries_each_annotation_beside_its_period(tmp_path):
    path = incident_db(tmp_path / "cx.duckdb")
    annotations.add(None, EVENT, "Price change", "ana@example.com", path)
    with db.reading(path) as backend:
        frame = trends.trend(backend, "csat", PERIOD, "month")
        notes = trends.annotations(backend, "csat", PERIOD)
    shown = units.display_table(trends.label_periods(frame, notes), metrics.METRICS["csat"], grain="month")
    assert list(shown["annotation"]) == ["", "Price change (01 Jul)"]  # the table the page's download writes
    assert "Price change (01 Jul)" in exports.csv_bytes(shown).decode("utf-8-sig")


def test_an_annotation_is_drawn_on_the_trend_without_stretching_its_time_axis(tmp_path):
    path = incident_db(tmp_path / "cx.duckdb")
    annotations.add("csat", EVENT, "New billing system live", "ana@example.com", path)
    annotations.add("csat", date(2026, 7, 30), "Price change", "ana@example.com", path)
    with db.reading(path) as backend:
        frame = trends.trend(backend, "csat", PERIOD, "week")
        figure = charts.trend(frame, metrics.METRICS["csat"], "week", trends.annotations(backend, "csat", PERIOD))
    texts = {a.text: a.xanchor for a in figure.layout.annotations}
    assert texts["New billing system live"] == "left"  # weeks of 1 Jun – 27 Jul: 1 Jul is mid-way, reads rightwards
    assert texts["Price change"] == "right"  # in the last third: reads leftwards, towards the chart
    low, high = figure.layout.xaxis.range
    assert pd.Timestamp(high) < pd.Timestamp("2026-08-03")  # ends in the last week (27 Jul – 2 Aug), not beyond
    assert [s.x0 for s in figure.layout.shapes] == [pd.Timestamp(EVENT).timestamp() * 1000,
                                                    pd.Timestamp("2026-07-30").timestamp() * 1000]  # fmt: skip
