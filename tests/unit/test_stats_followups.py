"""The statistics the follow-up figures use: medians of raw values and the matched difference, by hand."""

from __future__ import annotations

import math

import pytest

from cx.analysis import stats


def test_the_median_of_raw_values_has_the_order_statistic_interval():
    values = list(range(1, 21))  # n = 20: ranks floor(10 − 0.98·√20) = 5 and ceil(10 + 4.38) = 15, 0-based
    result = stats.median_estimate(values)
    assert result.value == 10.5 and result.n == 20
    assert (result.ci_low, result.ci_high) == (6.0, 16.0)


def test_the_median_of_very_few_values_has_no_interval():
    result = stats.median_estimate([3.0, 1.0, 2.0])
    assert (result.value, result.ci_low, result.ci_high) == (2.0, None, None)
    assert stats.median_estimate([]).value is None


def test_the_matched_difference_weights_strata_by_the_treated():
    # (treated churned, treated, control churned, control)
    result = stats.matched_difference([(1, 4, 2, 4), (0, 2, 1, 2), (0, 1, 0, 0)])
    assert result.difference.value == pytest.approx(-100 / 3)
    se = math.sqrt((4 / 6) ** 2 * (0.25 * 0.75 / 4 + 0.25 / 4) + (2 / 6) ** 2 * (0.25 / 2))
    assert se == pytest.approx(0.25)
    assert result.difference.ci_low == pytest.approx(100 * (-1 / 3 - stats.Z95 * se))
    assert result.difference.ci_high == pytest.approx(100 * (-1 / 3 + stats.Z95 * se))
    assert result.comparison.p_value == pytest.approx(2 * (1 - 0.5 * (1 + math.erf((1 / 3 / se) / math.sqrt(2)))))
    assert not result.comparison.significant
    assert (result.strata, result.unmatched_treated, result.control_n) == (2, 1, 6)
    assert result.control.value == pytest.approx(50.0)


def test_the_matched_difference_of_identical_strata_is_zero():
    result = stats.matched_difference([(10, 100, 10, 100), (30, 50, 60, 100)])
    assert result.difference.value == pytest.approx(0.0)


def test_a_matched_difference_needs_a_stratum_with_both_groups():
    assert stats.matched_difference([(1, 3, 0, 0), (0, 0, 2, 5)]) is None


def test_impossible_strata_are_refused():
    with pytest.raises(ValueError):
        stats.matched_difference([(5, 3, 0, 2)])
