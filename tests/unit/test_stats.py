"""cx.stats against values computed by hand and published ones."""

import math

import pytest
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st

from cx.analysis.stats import (
    MIN_N,
    Z95,
    Comparison,
    Estimate,
    NpsEstimate,
    benjamini_hochberg,
    bh_adjusted,
    compare_means,
    compare_medians,
    compare_nps,
    compare_proportions,
    is_small,
    mean_estimate,
    median_rank_bounds,
    nps,
    nps_from_scores,
    proportion,
)

# --- constants ---------------------------------------------------------------------------------


def test_z95_is_the_normal_quantile_of_a_two_sided_95_percent_interval():
    assert Z95 == pytest.approx(scipy.stats.norm.ppf(0.975), abs=1e-15)
    assert MIN_N == 30


def test_samples_below_the_minimum_are_small():
    assert is_small(29)
    assert not is_small(30)
    assert is_small(9, min_n=10)
    assert not is_small(10, min_n=10)
    assert is_small(0)


def test_an_estimate_knows_whether_it_has_data_and_is_small():
    assert not Estimate(value=None, n=0).has_data
    assert Estimate(value=50.0, n=10).small
    assert not Estimate(value=50.0, n=30).small


def test_estimates_are_frozen():
    with pytest.raises(AttributeError):
        nps(1, 0, 0).value = 0.0  # type: ignore[misc]


# --- NPS ---------------------------------------------------------------------------------------


def test_nps_of_the_sauro_rocks_example_has_plain_margin_and_adjusted_wald_interval():
    # 90 promoters, 60 passives, 50 detractors of n = 200:
    #   NPS = 100 * (90 - 50) / 200 = 20.0
    #   shares p = .45, d = .25; variance = .45 + .25 - (.45 - .25)^2 = .70 - .04 = .66
    #   SE = sqrt(.66 / 200) = sqrt(.0033) = 0.057446; margin = 1.96 * 100 * SE = 11.26 -> ±11.3
    # Adjusted Wald: promoters 90.75, passives 61.5, detractors 50.75, n 203
    #   p = .447044, d = .250000; adj NPS = 19.704
    #   variance = .697044 - .197044^2 = .658217; SE = sqrt(.658217 / 203) = .056943
    #   margin = 1.96 * 100 * .056943 = 11.161 -> [8.54, 30.87]
    estimate = nps(promoters=90, passives=60, detractors=50)
    assert isinstance(estimate, NpsEstimate)
    assert estimate.value == pytest.approx(20.0)
    assert estimate.n == 200
    assert (estimate.promoters, estimate.passives, estimate.detractors) == (90, 60, 50)
    assert estimate.standard_error == pytest.approx(0.057446, abs=1e-6)
    assert estimate.margin_of_error == pytest.approx(11.259, abs=1e-3)
    assert round(estimate.margin_of_error, 1) == 11.3
    assert estimate.adjusted_value == pytest.approx(19.704, abs=1e-3)
    assert estimate.ci_low == pytest.approx(8.544, abs=1e-3)
    assert estimate.ci_high == pytest.approx(30.865, abs=1e-3)
    assert (round(estimate.ci_low, 1), round(estimate.ci_high, 1)) == (8.5, 30.9)


def test_nps_standard_error_matches_the_r_package_nps_which_divides_by_n():
    # Scores [0, 7, 7, 9, 9, 9]: 3 promoters, 2 passives, 1 detractor, n = 6.
    #   NPS = 100 * (3 - 1) / 6 = 33.3
    #   variance = 3/6 + 1/6 - (2/6)^2 = .6667 - .1111 = .5556
    #   R NPS::nps_se = sqrt(.5556 / 6) = sqrt(.09259) = 0.3043   (published 0.304)
    #   with n - 1 it would be sqrt(.5556 / 5) = 0.3333, which does not reproduce 0.304.
    estimate = nps_from_scores([0, 7, 7, 9, 9, 9])
    assert estimate.value == pytest.approx(33.333, abs=1e-3)
    assert estimate.standard_error == pytest.approx(0.3043, abs=1e-4)
    assert round(estimate.standard_error, 3) == 0.304


def test_one_of_each_category_gives_nps_33():
    # [7, 8, 9]: 1 promoter, 2 passives, 0 detractors -> 100 * 1 / 3 = 33.3
    assert nps_from_scores([7, 8, 9]).value == pytest.approx(100 / 3)


def test_a_promoter_and_a_detractor_cancel_out():
    assert nps_from_scores([0, 9]).value == 0.0


def test_all_promoters_give_nps_100_with_zero_standard_error_but_a_real_interval():
    # [9, 10]: variance = 1 + 0 - 1^2 = 0, so the plain margin collapses to 0;
    # adjusted Wald: promoters 2.75, detractors .75, n 5 -> adj NPS = 100 * 2 / 5 = 40,
    #   variance = .55 + .15 - .4^2 = .54, SE = sqrt(.54 / 5) = .328634,
    #   margin = 1.96 * 100 * .328634 = 64.41 -> [-24.4, 104.4] clipped to [-24.4, 100].
    estimate = nps_from_scores([9, 10])
    assert estimate.value == 100.0
    assert estimate.standard_error == 0.0
    assert estimate.margin_of_error == 0.0
    assert estimate.adjusted_value == pytest.approx(40.0)
    assert estimate.ci_low == pytest.approx(40.0 - Z95 * 100 * math.sqrt(0.54 / 5))
    assert estimate.ci_low == pytest.approx(-24.41, abs=0.01)
    assert estimate.ci_high == 100.0


def test_many_promoters_and_nobody_else_still_have_an_interval_below_100():
    estimate = nps(promoters=50, passives=0, detractors=0)
    assert estimate.value == 100.0
    assert estimate.ci_low < 100.0
    assert estimate.ci_high == 100.0


def test_no_responses_is_no_nps_rather_than_zero():
    estimate = nps(0, 0, 0)
    assert estimate.value is None
    assert estimate.n == 0
    assert estimate.ci_low is None and estimate.ci_high is None
    assert estimate.standard_error is None and estimate.margin_of_error is None
    assert nps_from_scores([]).value is None


def test_a_single_detractor_gives_nps_minus_100_with_a_wide_interval():
    # Adjusted Wald: promoters .75, detractors 1.75, n 4 -> adj NPS = 100 * (-1) / 4 = -25
    #   variance = .1875 + .4375 - .25^2 = .5625, SE = sqrt(.5625 / 4) = .375,
    #   margin = 1.96 * 37.5 = 73.5 -> [-98.5, 48.5]
    estimate = nps_from_scores([3])
    assert estimate.value == -100.0
    assert estimate.n == 1
    assert estimate.standard_error == 0.0
    assert estimate.adjusted_value == pytest.approx(-25.0)
    assert estimate.ci_low == pytest.approx(-25.0 - Z95 * 37.5)
    assert estimate.ci_high == pytest.approx(-25.0 + Z95 * 37.5)


@pytest.mark.parametrize(
    ("score", "category"),
    [(0, "detractors"), (6, "detractors"), (7, "passives"), (8, "passives"), (9, "promoters"), (10, "promoters")],
)
def test_scores_fall_into_nps_categories_at_the_boundaries(score, category):
    estimate = nps_from_scores([score])
    counts = {"promoters": estimate.promoters, "passives": estimate.passives, "detractors": estimate.detractors}
    assert counts == {name: int(name == category) for name in counts}


def test_scores_outside_the_scale_are_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="11 is outside the NPS scale"):
        nps_from_scores([9, 11])


def test_negative_counts_are_refused():
    with pytest.raises(ValueError):
        nps(-1, 0, 5)


@given(st.lists(st.integers(min_value=0, max_value=10), max_size=300))
def test_nps_equals_the_plain_computation_and_its_interval_stays_on_the_scale(scores):
    estimate = nps_from_scores(scores)
    if not scores:
        assert estimate.value is None
        return
    n = len(scores)
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    assert estimate.n == n
    assert estimate.value == pytest.approx(100 * (promoters - detractors) / n)
    assert estimate.standard_error == pytest.approx(
        math.sqrt(max((promoters + detractors) / n - ((promoters - detractors) / n) ** 2, 0) / n), abs=1e-12
    )
    assert -100.0 <= estimate.ci_low <= estimate.adjusted_value <= estimate.ci_high <= 100.0
    assert estimate.ci_low < estimate.ci_high


# --- proportions -------------------------------------------------------------------------------


def test_proportion_has_the_wilson_interval_computed_by_hand():
    # 8 of 10: p = .8, z^2 = 3.841459, z^2/n = .384146, denominator = 1.384146
    #   centre = (.8 + .192073) / 1.384146 = .716740
    #   half = 1.959964 / 1.384146 * sqrt(.8 * .2 / 10 + 3.841459 / 400)
    #        = 1.416009 * sqrt(.016 + .009604) = 1.416009 * .160011 = .226577
    #   -> [.490162, .943317] -> [49.02, 94.33] %
    estimate = proportion(8, 10)
    assert estimate.value == pytest.approx(80.0)
    assert estimate.n == 10
    assert estimate.ci_low == pytest.approx(49.016, abs=1e-3)
    assert estimate.ci_high == pytest.approx(94.332, abs=1e-3)


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [(81, 263, 25.53, 36.62), (15, 148, 6.24, 16.05), (0, 20, 0.0, 16.11), (1, 29, 0.61, 17.18)],
)
def test_proportion_reproduces_newcombe_1998_wilson_intervals(successes, n, low, high):
    # Newcombe (1998), Statistics in Medicine 17:857-872, Table II, method 3 (score, no correction).
    estimate = proportion(successes, n)
    assert estimate.ci_low == pytest.approx(low, abs=0.01)
    assert estimate.ci_high == pytest.approx(high, abs=0.01)


def test_a_proportion_of_nobody_is_unknown():
    estimate = proportion(0, 0)
    assert estimate.value is None
    assert estimate.ci_low is None and estimate.ci_high is None


def test_all_successes_give_100_percent_with_an_interval_below_it():
    estimate = proportion(10, 10)
    assert estimate.value == 100.0
    assert estimate.ci_high == pytest.approx(100.0)
    assert estimate.ci_low == pytest.approx(72.25, abs=0.01)  # mirror of 0/10 -> upper 27.75


def test_more_successes_than_trials_are_refused():
    with pytest.raises(ValueError):
        proportion(11, 10)


# --- means -------------------------------------------------------------------------------------


def test_mean_has_a_t_interval():
    # mean 5, sd 1.2, n 25: SE = 1.2 / 5 = .24; t(.975, 24) = 2.063899; half = .495336
    #   -> [4.504664, 5.495336]
    estimate = mean_estimate(5.0, 1.2, 25)
    assert estimate.value == 5.0
    assert estimate.ci_low == pytest.approx(4.504664, abs=1e-6)
    assert estimate.ci_high == pytest.approx(5.495336, abs=1e-6)


def test_a_single_observation_has_a_mean_but_no_interval():
    estimate = mean_estimate(4.0, None, 1)
    assert estimate.value == 4.0
    assert estimate.ci_low is None and estimate.ci_high is None


def test_a_mean_of_nobody_is_unknown():
    assert mean_estimate(None, None, 0).value is None
    assert mean_estimate(0.0, 0.0, 0).value is None


# --- comparisons -------------------------------------------------------------------------------


def test_compare_nps_z_test_computed_by_hand():
    # a: 90/60/50 of 200 -> NPS 20, variance .66
    # b: 70/60/70 of 200 -> NPS 0,  variance .35 + .35 - 0 = .70
    #   SE = sqrt(.66/200 + .70/200) = sqrt(.0068) = .082462; z = .20 / .082462 = 2.4254
    #   p = 2 * (1 - Phi(2.4254)) = .0153
    result = compare_nps(nps(90, 60, 50), nps(70, 60, 70))
    assert isinstance(result, Comparison)
    assert result.difference == pytest.approx(20.0)
    assert result.statistic == pytest.approx(2.4254, abs=1e-4)
    assert result.p_value == pytest.approx(0.0153, abs=1e-4)
    assert result.significant


def test_compare_nps_is_antisymmetric():
    a, b = nps(90, 60, 50), nps(70, 60, 70)
    forward, backward = compare_nps(a, b), compare_nps(b, a)
    assert backward.difference == pytest.approx(-forward.difference)
    assert backward.p_value == pytest.approx(forward.p_value)


def test_a_small_nps_difference_is_not_significant():
    # 11/5/4 (NPS 35) vs 10/5/5 (NPS 25), n 20 each:
    #   variances .55 + .20 - .35^2 = .6275 and .50 + .25 - .25^2 = .6875
    #   SE = sqrt(.6275/20 + .6875/20) = sqrt(.06575) = .25642; z = .10 / .25642 = .390
    result = compare_nps(nps(11, 5, 4), nps(10, 5, 5))
    assert result.difference == pytest.approx(10.0)
    assert result.statistic == pytest.approx(0.390, abs=1e-3)
    assert not result.significant


def test_comparing_with_no_data_gives_no_difference():
    empty = nps(0, 0, 0)
    for result in (
        compare_nps(empty, nps(5, 3, 2)),
        compare_nps(nps(5, 3, 2), empty),
        compare_proportions(3, 10, 0, 0),
        compare_means(4.0, 1.0, 10, None, None, 0),
        compare_medians(0, 0, 5, 10),
    ):
        assert result.difference is None
        assert result.p_value is None
        assert not result.significant


def test_identical_constant_groups_do_not_differ():
    result = compare_nps(nps(5, 0, 0), nps(8, 0, 0))
    assert result.difference == 0.0
    assert result.p_value == 1.0
    assert not result.significant


def test_compare_proportions_pooled_z_test_computed_by_hand():
    # 45/100 vs 30/100: pooled p = 75/200 = .375; SE = sqrt(.375 * .625 * (1/100 + 1/100)) = .068465
    #   z = .15 / .068465 = 2.1909; p = .0285; z^2 = 4.8 = Pearson chi-square of the 2x2 table
    result = compare_proportions(45, 100, 30, 100)
    assert result.difference == pytest.approx(15.0)
    assert result.statistic == pytest.approx(2.1909, abs=1e-4)
    assert result.statistic**2 == pytest.approx(4.8)
    chi2 = scipy.stats.chi2_contingency([[45, 55], [30, 70]], correction=False)
    assert result.p_value == pytest.approx(chi2.pvalue)
    assert result.significant


def test_welch_t_test_computed_by_hand_matches_scipy():
    # 10 ± 2 (n 10) vs 8 ± 4 (n 20): s1^2/n1 = .4, s2^2/n2 = .8, SE = sqrt(1.2) = 1.095445
    #   t = 2 / 1.095445 = 1.825742; df = 1.44 / (.16/9 + .64/19) = 27.98
    result = compare_means(10.0, 2.0, 10, 8.0, 4.0, 20)
    assert result.difference == pytest.approx(2.0)
    assert result.statistic == pytest.approx(1.825742, abs=1e-6)
    expected = scipy.stats.ttest_ind_from_stats(10.0, 2.0, 10, 8.0, 4.0, 20, equal_var=False)
    assert result.statistic == pytest.approx(expected.statistic)
    assert result.p_value == pytest.approx(expected.pvalue)
    assert result.p_value == pytest.approx(0.0786, abs=1e-4)
    assert not result.significant


def test_welch_t_test_detects_a_clear_difference_like_scipy():
    expected = scipy.stats.ttest_ind_from_stats(3.1, 0.9, 120, 3.6, 1.4, 80, equal_var=False)
    result = compare_means(3.1, 0.9, 120, 3.6, 1.4, 80)
    assert result.difference == pytest.approx(-0.5)
    assert result.statistic == pytest.approx(expected.statistic)
    assert result.p_value == pytest.approx(expected.pvalue)
    assert result.significant


def test_means_of_single_observations_differ_without_a_test():
    result = compare_means(4.0, None, 1, 3.0, 1.0, 10)
    assert result.difference == 1.0
    assert result.p_value is None
    assert not result.significant


def test_mood_median_test_matches_scipy_without_continuity_correction():
    fast = [12, 15, 18, 20, 22, 25, 30, 31, 35, 40, 41, 45]
    slow = [28, 33, 38, 44, 50, 52, 55, 60, 61, 70]
    _, expected_p, pooled_median, table = scipy.stats.median_test(fast, slow, correction=False)
    above_fast = sum(1 for value in fast if value > pooled_median)
    above_slow = sum(1 for value in slow if value > pooled_median)
    assert [above_fast, above_slow] == list(table[0])
    result = compare_medians(above_fast, len(fast), above_slow, len(slow))
    assert result.p_value == pytest.approx(expected_p)
    # Pooled median of the 22 values = (35 + 38) / 2 = 36.5; above it: fast 3 of 12 (40, 41, 45),
    # slow 8 of 10. Shares .25 and .80 -> difference -55 points; pooled share 11/22 = .5,
    # SE = sqrt(.25 * (1/12 + 1/10)) = .214087, z = -.55 / .214087 = -2.569, p = .0102
    assert pooled_median == 36.5
    assert (above_fast, above_slow) == (3, 8)
    assert result.difference == pytest.approx(-55.0)
    assert result.statistic == pytest.approx(-2.569, abs=1e-3)
    assert result.p_value == pytest.approx(0.0102, abs=1e-4)
    assert result.significant


# --- median interval ---------------------------------------------------------------------------


def test_median_rank_bounds_for_100_observations():
    # 100/2 ± 1.96 * sqrt(100) / 2 = 50 ± 9.8 -> ranks 40.2 and 59.8 -> .402 and .598
    low, high = median_rank_bounds(100)
    assert low == pytest.approx(0.402, abs=1e-4)
    assert high == pytest.approx(0.598, abs=1e-4)


def test_median_rank_bounds_for_the_smallest_sample_that_has_one():
    # 6/2 ± 1.96 * sqrt(6) / 2 = 3 ± 2.4005 -> .0999, .9001
    low, high = median_rank_bounds(6)
    assert low == pytest.approx(0.0999, abs=1e-4)
    assert high == pytest.approx(0.9001, abs=1e-4)


def test_tiny_samples_have_no_median_interval():
    assert median_rank_bounds(5) is None
    assert median_rank_bounds(0) is None


def test_median_rank_bounds_narrow_as_samples_grow():
    widths = [high - low for low, high in (median_rank_bounds(n) for n in (10, 100, 1000))]
    assert widths == sorted(widths, reverse=True)


# --- false discovery rate ----------------------------------------------------------------------

# Benjamini & Hochberg (1995), JRSS B 57:289-300, section 4.1: 15 p-values from a clinical trial.
BH_1995 = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240, 0.4262, 0.5719, 0.6528]
BH_1995 += [0.7590, 1.000]


def test_benjamini_hochberg_rejects_the_first_four_of_the_1995_example():
    # Thresholds k * .05 / 15: k=4 -> .01333 >= .0095 (reject); k=5..15 all p_(k) above k * .00333
    # (e.g. k=9: .0459 > .03), so the largest k is 4.
    assert benjamini_hochberg(BH_1995) == [True] * 4 + [False] * 11


def test_bh_adjusted_values_of_the_1995_example_computed_by_hand():
    # q_(k) = min over j >= k of 15 * p_(j) / j
    #   k=1: 15 * .0001 = .0015      k=4: 15 * .0095 / 4 = .035625
    #   k=6 and 7 share min(15 * .0278 / 6 = .0695, 15 * .0298 / 7 = .063857) = .063857
    #   k=15: 1.0
    q = bh_adjusted(BH_1995)
    assert q[0] == pytest.approx(0.0015)
    assert q[3] == pytest.approx(0.035625)
    assert q[5] == pytest.approx(0.0638571, abs=1e-6) and q[6] == q[5]
    assert q[14] == 1.0
    assert q == pytest.approx(list(scipy.stats.false_discovery_control(BH_1995)))


def test_bh_keeps_input_order():
    shuffled = [0.0459, 0.0001, 1.000, 0.0095, 0.0201]
    # sorted: .0001, .0095, .0201, .0459, 1 with m = 5 -> thresholds .01, .02, .03, .04, .05
    #   .0001 <= .01, .0095 <= .02, .0201 <= .03, .0459 > .04, 1 > .05 -> k = 3
    assert benjamini_hochberg(shuffled) == [False, True, False, True, True]
    q = bh_adjusted(shuffled)
    assert q[1] == pytest.approx(0.0005)  # 5 * .0001 / 1
    assert q[0] == pytest.approx(0.057375)  # 5 * .0459 / 4


def test_bh_adjusted_values_are_monotone_and_capped_at_one():
    p_values = [0.9, 0.8, 0.95, 0.01, 0.5]
    q = bh_adjusted(p_values)
    by_p = [q_value for _, q_value in sorted(zip(p_values, q, strict=True))]
    assert by_p == sorted(by_p)
    assert all(0 <= value <= 1 for value in q)


def test_bh_on_no_tests_rejects_nothing():
    assert benjamini_hochberg([]) == []
    assert bh_adjusted([]) == []


def test_bh_leaves_untestable_entries_unrejected_and_out_of_the_count():
    # Two real tests, m = 2: .01 <= 1 * .05/2 = .025, .04 <= 2 * .05/2 = .05 -> both rejected.
    # (Counting the None entries as tests would make m = 4 and reject only .01.)
    assert benjamini_hochberg([None, 0.01, None, 0.04]) == [False, True, False, True]
    assert bh_adjusted([None, 0.01, None, 0.04]) == [None, pytest.approx(0.02), None, pytest.approx(0.04)]


def test_bh_rejects_a_p_value_exactly_on_its_threshold():
    # m = 3, k = 3: threshold 3 * .05 / 3 = .05
    assert benjamini_hochberg([0.05, 0.05, 0.05]) == [True, True, True]
