"""Trends: any metric over time, with its 95% band, optionally split by a segment attribute."""

import streamlit as st

from cx import charts
from cx.analysis import journey, metrics, narrative, segments, stats, trends, units
from cx.app import annotations_view, drill, followup_page, ui

filters = ui.setup_page("Trends")

keys = list(metrics.METRICS)
metric_key = ui.page_param("metric", keys, "nps")
grain = ui.page_param("grain", list(metrics.GRAINS), "week" if filters.days <= 120 else "month")
splits = ui.query(metrics.split_options, metric_key)
split = ui.page_param("split", splits, "")

pick_metric, pick_grain, pick_split = st.columns([2, 2, 2])
metric_key = pick_metric.selectbox(
    "Metric", keys, index=keys.index(metric_key), format_func=lambda k: metrics.METRICS[k].label, key="trend_metric"
)
grain = pick_grain.segmented_control("Grain", list(metrics.GRAINS), default=grain, key="trend_grain") or grain
split = pick_split.selectbox(
    "Split by",
    ["", *splits],
    index=(["", *splits].index(split) if split in splits else 0),
    format_func=lambda s: "No split" if not s else ui.label(s),
    key="trend_split",
)
target_s = metrics.DEFAULT_RESPONSE_TARGET_S
if metric_key == "response_within_target":
    hours = st.number_input(
        "Target for the first response (hours)",
        0.25,
        720.0,
        ui.number_param("target_h", 4.0, 0.25, 720.0),
        step=0.25,
        key="trend_target",
    )
    target_s = hours * 3600
ui.remember(
    metric=metric_key,
    grain=grain,
    split=split or None,
    target_h=f"{target_s / 3600:g}" if metric_key == "response_within_target" else None,
)

metric = metrics.METRICS[metric_key]
drill.worth_a_look(ui.query(journey.touchpoint_shifts, filters), filters=filters)
frame = ui.query(trends.trend, metric_key, filters, grain, split or None, target_s=target_s)
if frame.empty or frame["value"].isna().all():
    st.info(f"No {metric.label} data for these filters. Widen the date range or clear a filter.")
else:
    if split:
        table = ui.query(segments.versus_rest, metric_key, filters, split)
        ui.headline(narrative.versus_rest_headline(table, metric, ui.label(split), filters.days))
    else:
        summary = ui.query(metrics.summary, metric_key, filters, target_s=target_s)
        ui.headline(narrative.trend_headline(frame, metric, grain, summary, filters.days))
    notes = annotations_view.notes(metric_key, filters)
    annotations_view.across(metric_key, filters)
    if metrics.REST in set(frame["group"]):
        st.caption(f"The {trends.TOP_GROUPS} largest groups, and the others together as “{metrics.REST}”.")
    ui.figure(
        followup_page.mark_actions(charts.trend(frame, metric, grain, notes), filters, split or None),
        units.display_table(trends.label_periods(frame, notes), metric, grain=grain),
        f"{metric_key}_by_{grain}",
        key="trend_chart",
    )
    if marks := charts.trend_key(frame, grain):
        st.caption(marks)
    followup_page.action_results(filters, split or None)
    annotations_view.panel(metric_key, filters, notes)
    ui.how_we_compute(
        metric.help,
        f"n counts {metric.counted}. Hollow points joined by a dashed line are periods the data covers only in part "
        f"(“so far”) or with fewer than {stats.MIN_N}: they are left out of the headline. A triangle marks a "
        "significant change on the period before, a ring a significant difference from the level of the "
        f"{trends.RECENT_PERIODS} periods before; both after Benjamini–Hochberg across the chart's tests.",
        f"A dotted line is an annotation; across each, the {trends.ACROSS_DAYS} days from that day are tested against "
        f"the {trends.ACROSS_DAYS} days before (shorter near the data's edges), with the same filters.",
    )

if metric_key in ("churn_rate", "retention_rate"):
    st.subheader("Retention by signup cohort")
    cohorts = ui.query(metrics.cohort_retention, filters)
    if cohorts.empty:
        st.info("No customers with signup dates in this period, so there are no cohorts to follow.")
    else:
        st.caption(
            "Each row is the customers who signed up in that month; each cell the share still active that many "
            "months later. Cohorts follow the customer filters and the date range (signup months)."
        )
        ui.figure(charts.cohort_heatmap(cohorts), cohorts, "retention_by_cohort", key="cohort_chart")
