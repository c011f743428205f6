"""Uncertainty and significance for every figure the dashboard shows.

Pure functions on counts and means: no Streamlit, no DuckDB, no DataFrames. Each metric in
`cx.metrics` aggregates to counts (or a mean, sd and n) and asks this module for the interval and,
when two groups are compared, the test. All tests are two-sided at alpha 0.05.

Conventions:
- No data is `None`, never 0: an NPS of nobody is unknown, not neutral.
- Scores and their intervals are on the scale the user reads (NPS -100..100, percentages 0..100,
  mean scores on the survey scale); differences likewise (NPS points, percentage points).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from scipy import stats as _scipy

MIN_N = int(os.environ.get("CX_MIN_N", "30"))
"""Below this many responses a figure is shown greyed as "n too small" (set CX_MIN_N to change it)."""

Z95 = 1.959963984540054
"""The 97.5% quantile of the standard normal: the z of a two-sided 95% interval."""

ALPHA = 0.05

# Sauro & Rocks (2016) adjusted-Wald: pseudo-observations added before computing the interval.
_ADJUST_DETRACTORS = 0.75
_ADJUST_PASSIVES = 1.5
_ADJUST_PROMOTERS = 0.75

# Below 6 observations even (min, max) covers the median with less than 95% probability
# (1 - 2 * 0.5**5 = 93.75% for n = 5), so no distribution-free 95% interval exists.
_MEDIAN_CI_MIN_N = 6


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its sample size and 95% interval.

    `value` is None when there is no data (n == 0); `ci_low`/`ci_high` are None when the interval
    cannot be computed (no data, or n too small for the method).
    """

    value: float | None
    n: int
    ci_low: float | None = None
    ci_high: float | None = None

    @property
    def has_data(self) -> bool:
        return self.value is not None

    @property
    def small(self) -> bool:
        """True when n is below MIN_N: show the figure, but warn that it is fragile."""
        return is_small(self.n)


@dataclass(frozen=True, kw_only=True)
class NpsEstimate(Estimate):
    """A Net Promoter Score with the counts it came from.

    - `value` = 100 * (promoters - detractors) / n, on -100..100.
    - `standard_error` is a *fraction* (the R package NPS convention, `nps_se`):
      sqrt((p + d - (p - d)^2) / n) with p, d the promoter and detractor shares. The variance uses
      n, not n - 1: for scores [0, 7, 7, 9, 9, 9] this gives 0.304 (R's value), n - 1 would give 0.333.
    - `margin_of_error` is the plain Wald half-width in NPS points: Z95 * 100 * standard_error.
    - `ci_low`/`ci_high` are the adjusted-Wald interval (Sauro & Rocks 2016), better behaved than
      value ± margin_of_error for small samples and extreme scores; `adjusted_value` is its centre.
    """

    promoters: int
    passives: int
    detractors: int
    standard_error: float | None = None
    margin_of_error: float | None = None
    adjusted_value: float | None = None


@dataclass(frozen=True)
class Comparison:
    """A two-sided test of group a against group b at alpha 0.05.

    `difference` is a - b in the metric's display units (None when either side has no data);
    `statistic` is the test statistic (z, or t for means); `p_value` is None when no test is possible.
    """

    difference: float | None
    p_value: float | None
    significant: bool
    statistic: float | None = None


NO_COMPARISON = Comparison(difference=None, p_value=None, significant=False, statistic=None)


def is_small(n: int | None, min_n: int = MIN_N) -> bool:
    """True when a sample of n is too small to trust (n < min_n); no sample at all is small."""
    return n is None or n < min_n


# --- Net Promoter Score ------------------------------------------------------------------------


def _nps_variance(promoters: float, detractors: float, n: float) -> float:
    """Per-response variance of the promoter(+1)/passive(0)/detractor(-1) score, shares as fractions."""
    p, d = promoters / n, detractors / n
    # max() guards against -1e-17 from rounding when the variance is exactly zero.
    return max(p + d - (p - d) ** 2, 0.0)


def nps(promoters: int, passives: int, detractors: int) -> NpsEstimate:
    """Net Promoter Score from category counts, with standard error, margin and adjusted-Wald interval.

    Example: 90 promoters, 60 passives, 50 detractors -> NPS 20.0, margin ±11.3,
    adjusted-Wald interval [8.5, 30.9].
    """
    if min(promoters, passives, detractors) < 0:
        raise ValueError(f"Counts cannot be negative: {promoters=}, {passives=}, {detractors=}")
    n = promoters + passives + detractors
    if n == 0:
        return NpsEstimate(value=None, n=0, promoters=0, passives=0, detractors=0)

    value = 100.0 * (promoters - detractors) / n
    standard_error = math.sqrt(_nps_variance(promoters, detractors, n) / n)

    adj_promoters = promoters + _ADJUST_PROMOTERS
    adj_detractors = detractors + _ADJUST_DETRACTORS
    adj_n = n + _ADJUST_PROMOTERS + _ADJUST_PASSIVES + _ADJUST_DETRACTORS
    adjusted_value = 100.0 * (adj_promoters - adj_detractors) / adj_n
    adjusted_margin = Z95 * 100.0 * math.sqrt(_nps_variance(adj_promoters, adj_detractors, adj_n) / adj_n)

    return NpsEstimate(
        value=value,
        n=n,
        ci_low=max(adjusted_value - adjusted_margin, -100.0),
        ci_high=min(adjusted_value + adjusted_margin, 100.0),
        promoters=promoters,
        passives=passives,
        detractors=detractors,
        standard_error=standard_error,
        margin_of_error=Z95 * 100.0 * standard_error,
        adjusted_value=adjusted_value,
    )


def nps_from_scores(scores: Iterable[int]) -> NpsEstimate:
    """NPS from 0-10 scores: 0-6 detractor, 7-8 passive, 9-10 promoter."""
    promoters = passives = detractors = 0
    for score in scores:
        if not 0 <= score <= 10:
            raise ValueError(f"{score!r} is outside the NPS scale 0–10")
        if score >= 9:
            promoters += 1
        elif score >= 7:
            passives += 1
        else:
            detractors += 1
    return nps(promoters, passives, detractors)


# --- Proportions and means ---------------------------------------------------------------------


def proportion(successes: int, n: int) -> Estimate:
    """Share of successes in percent (0-100) with the Wilson score 95% interval.

    Wilson: centre = (p + z²/2n) / (1 + z²/n), half-width = z / (1 + z²/n) * sqrt(p(1-p)/n + z²/4n²).
    Unlike value ± z·SE it stays inside 0..100 and is not zero-width at 0% or 100%.
    Used for CSAT top-2-box and churn rate.
    """
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"Need 0 <= successes <= n, got {successes=}, {n=}")
    if n == 0:
        return Estimate(value=None, n=0)
    p = successes / n
    z2 = Z95**2
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half_width = Z95 / denominator * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return Estimate(
        value=100.0 * p,
        n=n,
        ci_low=100.0 * max(centre - half_width, 0.0),
        ci_high=100.0 * min(centre + half_width, 1.0),
    )


def mean_estimate(mean: float | None, sd: float | None, n: int) -> Estimate:
    """A mean with its t-based 95% interval: mean ± t(0.975, n-1) · sd / sqrt(n).

    `sd` is the sample standard deviation (n - 1 divisor). With n < 2 there is no interval.
    Used for the CES mean.
    """
    if n == 0 or mean is None:
        return Estimate(value=None, n=n)
    if n < 2 or sd is None:
        return Estimate(value=float(mean), n=n)
    half_width = float(_scipy.t.ppf(1 - ALPHA / 2, n - 1)) * sd / math.sqrt(n)
    return Estimate(value=float(mean), n=n, ci_low=mean - half_width, ci_high=mean + half_width)


# --- Comparisons -------------------------------------------------------------------------------


def _z_comparison(difference: float, standard_error: float, scale: float) -> Comparison:
    """Two-sided z-test of a difference (in fraction units) against 0; reported times `scale`.

    A zero standard error means both samples are constant: equal constants differ by nothing
    (p = 1), unequal ones are reported as certain (z = ±inf, p = 0) — callers flag small n apart.
    """
    if standard_error == 0:
        if difference == 0:
            return Comparison(difference=0.0, p_value=1.0, significant=False, statistic=0.0)
        return Comparison(
            difference=scale * difference, p_value=0.0, significant=True, statistic=math.copysign(math.inf, difference)
        )
    z = difference / standard_error
    p_value = float(2 * _scipy.norm.sf(abs(z)))
    return Comparison(difference=scale * difference, p_value=p_value, significant=p_value < ALPHA, statistic=z)


def compare_nps(a: NpsEstimate, b: NpsEstimate) -> Comparison:
    """Is NPS a different from NPS b? Wald z-test, difference a - b in NPS points.

    z = (nps_a - nps_b) / sqrt(var_a/n_a + var_b/n_b), var = p + d - (p - d)² per sample (fractions);
    the two-sample test of the R package NPS (`nps_test`).
    """
    if not a.n or not b.n:
        return NO_COMPARISON
    difference = (a.promoters - a.detractors) / a.n - (b.promoters - b.detractors) / b.n
    standard_error = math.sqrt(
        _nps_variance(a.promoters, a.detractors, a.n) / a.n + _nps_variance(b.promoters, b.detractors, b.n) / b.n
    )
    return _z_comparison(difference, standard_error, scale=100.0)


def compare_proportions(x1: int, n1: int, x2: int, n2: int) -> Comparison:
    """Two-proportion z-test with pooled variance; difference x1/n1 - x2/n2 in percentage points.

    z = (p1 - p2) / sqrt(p(1-p)(1/n1 + 1/n2)) with p = (x1 + x2)/(n1 + n2); z² equals Pearson's
    chi-square on the 2x2 table without continuity correction.
    """
    if not n1 or not n2:
        return NO_COMPARISON
    pooled = (x1 + x2) / (n1 + n2)
    standard_error = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return _z_comparison(x1 / n1 - x2 / n2, standard_error, scale=100.0)


def compare_means(
    mean1: float | None, sd1: float | None, n1: int, mean2: float | None, sd2: float | None, n2: int
) -> Comparison:
    """Welch's t-test (unequal variances, Welch–Satterthwaite df); difference mean1 - mean2.

    t = (m1 - m2) / sqrt(s1²/n1 + s2²/n2),
    df = (s1²/n1 + s2²/n2)² / ((s1²/n1)²/(n1-1) + (s2²/n2)²/(n2-1)).
    With fewer than 2 observations on a side the difference is reported but not tested.
    """
    if not n1 or not n2 or mean1 is None or mean2 is None:
        return NO_COMPARISON
    difference = float(mean1 - mean2)
    if n1 < 2 or n2 < 2 or sd1 is None or sd2 is None:
        return Comparison(difference=difference, p_value=None, significant=False, statistic=None)
    v1, v2 = sd1**2 / n1, sd2**2 / n2
    if v1 + v2 == 0:
        return _z_comparison(difference, 0.0, scale=1.0)
    t = difference / math.sqrt(v1 + v2)
    df = (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))
    p_value = float(2 * _scipy.t.sf(abs(t), df))
    return Comparison(difference=difference, p_value=p_value, significant=p_value < ALPHA, statistic=t)


def compare_medians(above1: int, n1: int, above2: int, n2: int) -> Comparison:
    """Mood's median test from the counts strictly above the pooled median in each sample.

    The caller computes the median of both samples together and counts, per sample, the values
    above it (values equal to it count as not above, like scipy's `median_test(ties="below")`).
    If the medians were equal each sample would have about the same share above; the test is
    Pearson's chi-square on the 2x2 table (above / not above by sample) without continuity
    correction, i.e. the pooled two-proportion z-test (z² = chi-square, same p-value).
    `difference` is the difference in the share above the pooled median, in percentage points
    (the medians themselves are shown by the caller). Used for response and resolution times.
    """
    return compare_proportions(above1, n1, above2, n2)


def median_rank_bounds(n: int) -> tuple[float, float] | None:
    """Quantile probabilities whose sample values bound a distribution-free 95% CI of the median.

    The order statistics at ranks n/2 ± Z95·sqrt(n)/2 (normal approximation to Binomial(n, 1/2))
    bound the median with 95% confidence; divided by n and clipped to [0, 1] they become quantile
    probabilities, e.g. for `quantile_cont(x, p_low)`. None below 6 observations, where no order
    statistics reach 95% coverage.
    """
    if n < _MEDIAN_CI_MIN_N:
        return None
    half_width = Z95 * math.sqrt(n) / 2
    return max((n / 2 - half_width) / n, 0.0), min((n / 2 + half_width) / n, 1.0)


# --- Many comparisons at once ------------------------------------------------------------------


def bh_adjusted(p_values: Sequence[float | None]) -> list[float | None]:
    """Benjamini–Hochberg adjusted p-values (q-values), in input order.

    With the m non-None p-values sorted ascending, q_(i) = min over j >= i of m·p_(j)/j, capped at 1;
    so q is monotone in p and `q <= alpha` rejects exactly what the BH step-up procedure rejects.
    None (no test possible) stays None and does not count towards m.
    """
    tested = sorted((p, i) for i, p in enumerate(p_values) if p is not None)
    m = len(tested)
    adjusted: list[float | None] = [None] * len(p_values)
    running_min = 1.0
    for rank in range(m, 0, -1):
        p, index = tested[rank - 1]
        running_min = min(running_min, m * p / rank)
        adjusted[index] = running_min
    return adjusted


def benjamini_hochberg(p_values: Sequence[float | None], alpha: float = ALPHA) -> list[bool]:
    """Which hypotheses the Benjamini–Hochberg (1995) step-up procedure rejects, in input order.

    Controls the false discovery rate at `alpha` when many segments or touchpoints are tested at
    once: reject the k smallest p-values, k the largest rank with p_(k) <= k·alpha/m. None entries
    are never rejected and do not count towards m.
    """
    tested = sorted((p, i) for i, p in enumerate(p_values) if p is not None)
    m = len(tested)
    # Compare p_(k) with k·alpha/m directly rather than q with alpha, so that a p-value exactly on
    # the boundary is not lost to rounding in m·p/k.
    cutoff = max((rank for rank, (p, _) in enumerate(tested, start=1) if p <= rank * alpha / m), default=0)
    rejected = [False] * len(p_values)
    for _, index in tested[:cutoff]:
        rejected[index] = True
    return rejected


# --- Medians of raw values and matched comparisons (follow-ups) ---------------------------------


def median_estimate(values: Sequence[float]) -> Estimate:
    """The median of raw values with the distribution-free 95% interval of `median_rank_bounds`.

    The same order statistics as the SQL version in cx.metrics: with the values sorted (0-based),
    the interval runs from the value at rank floor(n/2 − 0.98·√n) to the one at ceil(n/2 + 0.98·√n)
    (open above when that rank is past the end). The median interpolates between the two middle values.
    """
    ordered = sorted(float(v) for v in values)
    n = len(ordered)
    if n == 0:
        return Estimate(value=None, n=0)
    middle = n // 2
    median = ordered[middle] if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    if median_rank_bounds(n) is None:
        return Estimate(value=median, n=n)
    half_width = Z95 * math.sqrt(n) / 2
    low_rank, high_rank = math.floor(n / 2 - half_width), math.ceil(n / 2 + half_width)
    return Estimate(
        value=median,
        n=n,
        ci_low=ordered[max(low_rank, 0)],
        ci_high=ordered[high_rank] if high_rank < n else None,
    )


@dataclass(frozen=True)
class MatchedDifference:
    """Treated against control proportions, compared within strata and standardised to the treated.

    Rates and the difference are in percent / percentage points. `control` is the control rate the
    treated would have had with the control's stratum rates (direct standardisation), with a Wald
    interval; `treated` has the Wilson interval; `difference` = treated − control with a Wald
    interval from the stratified variance.
    """

    difference: Estimate
    treated: Estimate
    control: Estimate
    comparison: Comparison
    strata: int  # strata with both groups
    unmatched_treated: int  # treated in strata without any control: left out
    control_n: int  # controls in the matched strata


def matched_difference(strata: Iterable[tuple[int, int, int, int]]) -> MatchedDifference | None:
    """Stratified (exactly matched) difference of proportions, weighted by the treated per stratum.

    Each stratum is (treated successes, treated n, control successes, control n). Strata missing
    either group are left out. With w_s = n1_s / Σ n1 over the kept strata:
      difference = Σ w_s (p1_s − p0_s),
      variance   = Σ w_s² (p1_s(1−p1_s)/n1_s + p0_s(1−p0_s)/n0_s),
    the average effect on the treated of an exact-matching (coarsened exact matching) design; the
    interval is ± Z95·√variance and the test a two-sided z-test. None when no stratum has both groups.
    """
    kept, unmatched = [], 0
    for x1, n1, x0, n0 in strata:
        if n1 < 0 or n0 < 0 or not 0 <= x1 <= n1 or not 0 <= x0 <= n0:
            raise ValueError(f"Need 0 <= successes <= n in every stratum, got {(x1, n1, x0, n0)}")
        if n1 and n0:
            kept.append((x1, n1, x0, n0))
        else:
            unmatched += n1
    if not kept:
        return None
    treated_n = sum(n1 for _, n1, _, _ in kept)
    difference = control = variance = control_variance = 0.0
    for x1, n1, x0, n0 in kept:
        weight = n1 / treated_n
        p1, p0 = x1 / n1, x0 / n0
        difference += weight * (p1 - p0)
        control += weight * p0
        control_variance += weight**2 * p0 * (1 - p0) / n0
        variance += weight**2 * (p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
    se, control_se = math.sqrt(variance), math.sqrt(control_variance)
    comparison = _z_comparison(difference, se, scale=100.0)
    control_n = sum(n0 for _, _, _, n0 in kept)
    return MatchedDifference(
        difference=Estimate(
            value=100.0 * difference,
            n=treated_n + control_n,
            ci_low=100.0 * max(difference - Z95 * se, -1.0),
            ci_high=100.0 * min(difference + Z95 * se, 1.0),
        ),
        treated=proportion(sum(x1 for x1, _, _, _ in kept), treated_n),
        control=Estimate(
            value=100.0 * control,
            n=control_n,
            ci_low=100.0 * max(control - Z95 * control_se, 0.0),
            ci_high=100.0 * min(control + Z95 * control_se, 1.0),
        ),
        comparison=comparison,
        strata=len(kept),
        unmatched_treated=unmatched,
        control_n=control_n,
    )
