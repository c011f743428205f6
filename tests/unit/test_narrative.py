"""The narrative layer: given these counts, expect this sentence (every figure worked out by hand)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from cx.analysis import narrative, stats, trends
from cx.analysis.metrics import METRICS, Summary

NPS, CSAT = METRICS["nps"], METRICS["csat"]


def nps_summary(now: tuple[int, int, int], before: tuple[int, int, int]) -> Summary:
    current, previous = stats.nps(*now), stats.nps(*before)
    return Summary(NPS, current, previous, stats.compare_nps(current, previous), {})


def csat_summary(now: tuple[int, int], before: tuple[int, int]) -> Summary:
    current, previous = stats.proportion(*now), stats.proportion(*before)
    return Summary(CSAT, current, previous, stats.compare_proportions(*now, *before), {"mean": 4.1})


def test_a_change_within_chance_is_about_the_same_with_its_margin():
    # NPS 30 (50/30/20 of 100) against 20 (45/30/25): difference 10 points, standard error
    # √((0.5 + 0.2 − 0.3²)/100 + (0.45 + 0.25 − 0.2²)/100) = 0.1127, z = 0.89: chance.
    # Margin 1.96 × 11.27 = 22 points.
    text = narrative.tile_sentence(nps_summary((50, 30, 20), (45, 30, 25)), 90)
    assert text == "NPS 30, about the same as the previous 90 days (+10 ± 22 pts), n = 100."


def test_a_significant_change_says_up_with_its_margin():
    # CSAT 80% of 1,000 against 70% of 1,000: pooled p = 0.75, SE = √(0.75 · 0.25 · 2/1000) = 1.94 pts,
    # z = 5.2; margin 1.96 × 1.94 = 3.8 pts.
    text = narrative.tile_sentence(csat_summary((800, 1000), (700, 1000)), 90)
    assert text == "CSAT 80%, up 10.0 pts on the previous 90 days (±3.8), n = 1,000."


def test_a_fall_in_response_time_reads_down_in_minutes():
    metric = METRICS["first_response_time"]
    current = stats.Estimate(value=372.0, n=5_000, ci_low=360.0, ci_high=384.0)
    previous = stats.Estimate(value=700.0, n=5_000, ci_low=680.0, ci_high=716.0)
    comparison = stats.Comparison(difference=-328.0, p_value=1e-9, significant=True, statistic=-6.1)
    summary = Summary(metric, current, previous, comparison, {"p90": 1500.0})
    # Mood's test decides, so the sentence gives what the median is compared with (700 s = 11.7 min, shown as 12 min: above 10 a minute is precise enough), not a
    # margin from the two intervals that could disagree with the test.
    assert narrative.tile_sentence(summary, 90) == (
        "First response 6.2 min (median), down 5.5 min on the previous 90 days (from 12 min), n = 5,000."
    )
    # The tile shows the 90th percentile beside the median; a headline says it in words.
    assert narrative.figure(summary, 90) == "First response 6.2 min (median; 90% within 25 min)"


def test_equal_medians_are_about_the_same_even_when_the_shares_differ():
    metric = METRICS["first_response_time"]
    current = stats.Estimate(value=360.0, n=900, ci_low=340.0, ci_high=380.0)
    previous = stats.Estimate(value=360.0, n=900, ci_low=345.0, ci_high=375.0)
    comparison = stats.Comparison(difference=0.0, p_value=0.001, significant=True, statistic=3.3)
    text = narrative.tile_sentence(Summary(metric, current, previous, comparison, {"p90": None}), 30)
    assert "about the same as the previous 30 days (6.0 min)" in text
    assert "fell" not in text and "down" not in text


def test_a_small_sample_is_never_compared():
    assert narrative.tile_sentence(nps_summary((3, 1, 1), (2, 2, 1)), 90) == "NPS 40: n = 5 is too small to rely on."


def test_a_snapshot_churn_says_it_has_no_earlier_period():
    churn = stats.proportion(3906, 17043)
    summary = Summary(METRICS["churn_rate"], churn, None, stats.NO_COMPARISON, {}, basis="snapshot")
    assert narrative.tile_sentence(summary, 90) == (
        "Churn (snapshot) 22.9%: the data has no churn dates, so there is no earlier period to compare, n = 17,043."
    )


def test_churn_over_the_period_says_its_basis():
    # 39 of 1,000 churned against 30 of 1,000: z = 1.1, chance.
    now, before = stats.proportion(39, 1000), stats.proportion(30, 1000)
    summary = Summary(METRICS["churn_rate"], now, before, stats.compare_proportions(39, 1000, 30, 1000), {})
    assert narrative.tile_sentence(summary, 90).startswith("90-day churn 3.9%, about the same as the previous 90 days")


def test_what_changed_lists_significant_changes_first_and_matches_the_tiles():
    steady = nps_summary((50, 30, 20), (45, 30, 25))
    moved = csat_summary((800, 1000), (700, 1000))
    lines = narrative.what_changed([steady, moved], 90)
    assert [line.key for line in lines] == ["csat", "nps"]
    assert [line.significant for line in lines] == [True, False]
    assert lines[0].tone == "better"
    assert lines[0].text == narrative.tile_sentence(moved, 90)  # the same question, the same answer


@pytest.mark.parametrize(
    ("period", "grain", "label"),
    [
        ("2026-10-01", "quarter", "Q4 2026"),
        ("2026-11-01", "month", "Nov 2026"),
        ("2026-11-30", "week", "week of 30 Nov 2026"),
        ("2026-07-04", "day", "4 Jul 2026"),
    ],
)
def test_periods_are_named_as_people_say_them(period, grain, label):
    assert narrative.period_label(period, grain) == label


def weekly_nps(counts: list[tuple[int, int, int]], first: str = "2026-11-02") -> pd.DataFrame:
    """Sufficient statistics of weekly NPS: (promoters, passives, detractors) per week from `first`."""
    rows = []
    for i, (p, a, d) in enumerate(counts):
        rows.append(
            {"period": pd.Timestamp(first) + pd.Timedelta(weeks=i), "group": "All", "n": p + a + d,
             "promoters": p, "detractors": d, "top2": 0, "easy": 0, "total": 0.0, "total_sq": 0.0}
        )  # fmt: skip
    return pd.DataFrame(rows)


def test_a_one_day_last_week_is_left_out_of_the_headline():
    # Four full weeks (NPS 25, 25, 25, 35 on 400 answers each) and Monday 30 Nov alone (NPS 43 on 49).
    raw = weekly_nps([(200, 100, 100)] * 3 + [(220, 100, 80), (30, 10, 9)])
    span = (date(2026, 11, 2), date(2026, 11, 30))
    frame = trends.tested(raw, "nps", "week", *span, span)
    assert frame["status"].tolist() == ["complete"] * 4 + ["so far"]
    # Week of 23 Nov against 16 Nov: +10 points, SE √(0.6275/400 + 0.6875/400) = 5.73, z = 1.74: chance;
    # margin 1.96 × 5.73 = 11 points.
    assert narrative.trend_headline(frame, NPS, "week") == (
        "Latest full week (week of 23 Nov 2026): 35 (n = 400), about the same as the week before (+10 ± 11 pts)."
    )


def test_a_one_off_drop_is_marked_and_named():
    # Six steady months of CSAT 80% (n = 400 each), then 40%: far outside chance even after BH over 11 tests.
    rows = [
        {"period": pd.Timestamp(f"2026-{m:02d}-01"), "group": "All", "n": 400, "top2": 320 if m < 7 else 160,
         "total": 0.0}
        for m in range(1, 8)
    ]  # fmt: skip
    frame = trends.tested(pd.DataFrame(rows), "csat", "month", date(2026, 1, 1), date(2026, 7, 31), None)
    july = frame.iloc[-1]
    assert bool(july.prev_significant) and bool(july.recent_significant)
    assert july.recent_difference == pytest.approx(-40.0)
    assert not frame.iloc[:-1]["recent_significant"].any()
    headline = narrative.trend_headline(frame, CSAT, "month")
    assert headline.startswith("Latest full month (Jul 2026): 40% (n = 400), down 40.0 pts on the month before (±")
    assert headline.endswith("; 40.0 pts below the level of the months before.")
    # Once August is back to normal, July is still named, as the period that stands out.
    august = {**rows[-2], "period": pd.Timestamp("2026-08-01")}
    frame = trends.tested(pd.DataFrame([*rows, august]), "csat", "month", date(2026, 1, 1), date(2026, 8, 31), None)
    assert narrative.trend_headline(frame, CSAT, "month").endswith(
        "Jul 2026 (40%, 40.0 pts below the level of the months before) stands out."
    )


def versus_rest(groups: list[dict]) -> pd.DataFrame:
    base = {"small": False, "rest_value": None, "direction": None, "basis": None}
    return pd.DataFrame([{**base, **g} for g in groups])


def test_one_readable_group_is_never_compared_with_itself():
    table = versus_rest([{"group": "Premium", "value": 480.0, "n": 300}])
    text = narrative.versus_rest_headline(table, METRICS["first_response_time"], "Plan")
    assert text == (
        "Only Premium has enough data to read on First response (median): 8.0 min (n = 300); "
        "there is no other plan to compare it with."
    )


def test_groups_that_do_not_differ_are_named_with_distinct_values():
    table = versus_rest([{"group": "Enterprise", "value": 72.4, "n": 500}, {"group": "SMB", "value": 71.6, "n": 800}])
    assert narrative.versus_rest_headline(table, CSAT, "Segment") == (
        "No segment differs significantly from the rest on CSAT (from 72.4% for Enterprise to 71.6% for SMB)."
    )


def test_the_worst_group_is_named_only_when_significant():
    table = versus_rest(
        [
            {"group": "Enterprise", "value": 77.0, "n": 812, "direction": "better"},
            {"group": "Consumer", "value": 68.0, "n": 2104, "direction": "worse", "rest_value": 74.0},
        ]
    )
    assert narrative.versus_rest_headline(table, CSAT, "Segment") == (
        "Consumer is significantly worse on CSAT: 68% (n = 2,104) vs 74% for the rest; "
        "Enterprise is significantly better (77%, n = 812)."
    )


def test_a_significant_fall_in_a_median_never_reads_as_within_its_margin():
    # The demo's first response: 7.2 min (95% 6.1–11) against 12.2 min (95% 9.9–14.9), Mood's test p = 0.01.
    # The intervals' margin √(2.45² + 2.5²) = 3.5 min would not agree with "down 5.0 min" for every such case:
    # the sentence names the earlier median instead.
    metric = METRICS["first_response_time"]
    current = stats.Estimate(value=432.0, n=3_701, ci_low=366.0, ci_high=660.0)
    previous = stats.Estimate(value=732.0, n=3_650, ci_low=594.0, ci_high=894.0)
    comparison = stats.Comparison(difference=-300.0, p_value=0.01, significant=True, statistic=-2.6)
    text = narrative.tile_sentence(Summary(metric, current, previous, comparison, {"p90": 26_280.0}), 90)
    assert text == "First response 7.2 min (median), down 5.0 min on the previous 90 days (from 12 min), n = 3,701."
    assert "±" not in text


def segment_rows(*rows: tuple[str, float | None, int]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"group": g, "value": v, "n": n, "small": n < stats.MIN_N, "direction": None, "basis": None}
            for g, v, n in rows
        ]
    )


def test_a_segmentation_nobody_recorded_is_not_compared_with_itself():
    # Every answer's customer has no segment: the only group is "Unknown".
    table = segment_rows(("Unknown", 39.3, 2_769))
    assert narrative.versus_rest_headline(table, CSAT, "Segment", 90) == (
        "No segment is recorded for the responses behind CSAT, so there is nothing to compare."
    )
    assert narrative.named_groups(table) == []
    heat = table.assign(metric="csat")
    assert narrative.heatmap_headline(heat, "Segment", {}) == (
        "No segment is recorded in this data, so there is nothing to compare."
    )


def test_one_named_segment_beside_unknown_is_said_to_have_nothing_to_compare():
    heat = segment_rows(("SMB", 40.0, 120), ("Unknown", 38.0, 900)).assign(metric="csat")
    assert narrative.named_groups(heat) == ["SMB"]
    assert narrative.heatmap_headline(heat, "Segment", {}) == (
        "Only one segment is recorded in this data (SMB): nothing to compare."
    )
