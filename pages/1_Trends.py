"""Trends: any metric over time, with its 95% band, optionally split by a segment attribute."""

import streamlit as st

from cx import charts
from cx.analysis import metrics
from cx.app import ui

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
        ui.number_param("target_h", 4.0),
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
frame = ui.query(metrics.trend, metric_key, filters, grain, split or None, target_s=target_s)
if frame.empty or frame["value"].isna().all():
    st.info(f"No {metric.label} data for these filters. Widen the date range or clear a filter.")
else:
    st.markdown(f'<p class="cx-headline">{metrics.trend_headline(frame, metric, grain)}</p>', unsafe_allow_html=True)
    ui.figure(charts.trend(frame, metric, grain), frame, f"{metric_key}_by_{grain}", key="trend_chart")
    with st.popover("How we compute this", icon=":material/help:"):
        st.markdown(metric.help)
        st.markdown(
            f"n counts {metric.counted}. Hollow grey points have fewer than {metrics.stats.MIN_N}: read them with care."
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
