"""The one formatter: each unit shown the same way everywhere, checked against strings written by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from cx.analysis import units
from cx.analysis.metrics import METRICS

NPS, CSAT, CES, CHURN = METRICS["nps"], METRICS["csat"], METRICS["ces"], METRICS["churn_rate"]
FIRST_RESPONSE, RETENTION, CLV = METRICS["first_response_time"], METRICS["retention_rate"], METRICS["clv_observed"]


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(45, "45 s"), (451.8, "7.5 min"), (5400, "1.5 h"), (12 * 3600, "12 h"), (100.2 * 3600, "4.2 days")],
)
def test_a_duration_is_shown_in_the_largest_sensible_unit(seconds, shown):
    assert units.value(FIRST_RESPONSE, seconds) == shown


def test_a_figure_keeps_one_unit_for_all_its_numbers():
    # Segment bars of 451.8 s and 2,700 s share minutes: the median of the values picks the unit.
    unit = units.unit_for(FIRST_RESPONSE, [451.8, 300.0, 2700.0])
    assert unit.name == "minutes"
    assert [units.value(FIRST_RESPONSE, v, unit) for v in (451.8, 300.0, 2700.0)] == ["7.5 min", "5.0 min", "45 min"]
    assert units.axis_title(FIRST_RESPONSE, unit) == "First response (median, minutes)"


def test_the_csv_columns_carry_the_unit_and_the_converted_values():
    frame = pd.DataFrame({"period": ["2026-01-01"], "value": [450.0], "ci_low": [420.0], "ci_high": [480.0], "n": [9]})
    table = units.display_table(frame, FIRST_RESPONSE)
    assert list(table.columns) == [
        "period",
        "First response (median, minutes)",
        "First response (median, minutes) 95% low",
        "First response (median, minutes) 95% high",
        "n",
    ]
    assert table.iloc[0, 1:4].tolist() == [7.5, 7.0, 8.0]


def test_every_churn_figure_says_its_basis():
    assert units.label(CHURN, days=90) == "90-day churn"
    assert units.label(CHURN, grain="month") == "Monthly churn"
    assert units.label(RETENTION, grain="quarter") == "Quarterly retention"
    assert units.label(CHURN, snapshot=True) == "Churn (snapshot)"
    assert units.axis_title(CHURN, grain="week") == "Weekly churn (%)"
    assert units.label(NPS, days=90) == "NPS"  # only rates over a period have a basis


def test_counts_and_money_have_thousands_separators():
    assert units.count(2850) == "2,850"
    assert units.count(1_000_000) == "1,000,000"
    assert units.value(CLV, 2226877.4) == "$2,226,877"
    assert units.value(NPS, 1234.0) == "1,234"


@pytest.mark.parametrize(
    ("metric", "difference", "shown"),
    [
        (NPS, 4.4, "+4 pts"),
        (NPS, -12.0, "-12 pts"),
        (CSAT, 4.93, "+4.9 pts"),
        (CSAT, -0.04, "-0.04 pts"),  # never "-0.0 pts"
        (CES, 0.2213, "+0.22"),
        (FIRST_RESPONSE, -300.0, "-5.0 min"),
        (CLV, 1554.2, "+$1,554"),
    ],
)
def test_a_change_is_in_points_or_the_metrics_own_unit(metric, difference, shown):
    assert units.change(metric, difference) == shown


def test_unequal_values_never_read_the_same():
    # The broken sentences "fell from 6 min to 6 min" and "rose from 72% to 72%".
    assert units.distinct(FIRST_RESPONSE, 372.0, 348.0) == ("6.2 min", "5.8 min")
    assert units.distinct(FIRST_RESPONSE, 367.2, 364.8) == ("6.12 min", "6.08 min")
    assert units.distinct(CSAT, 72.4, 71.6) == ("72.4%", "71.6%")
    assert units.distinct(CSAT, 72.0, 72.0) == ("72%", "72%")  # equal values may read the same


def test_no_data_is_a_dash_never_zero():
    assert units.value(NPS, None) == "–"
    assert units.value(FIRST_RESPONSE, float("nan")) == "–"
    assert units.count(None) == "–"
