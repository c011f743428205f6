"""Trends: any metric over time, with its 95% band, optionally split by a segment attribute."""

import streamlit as st

from cx import charts, metrics, ui

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
ui.remember(metric=metric_key, grain=grain, split=split or None)

metric = metrics.METRICS[metric_key]
frame = ui.query(metrics.trend, metric_key, filters, grain, split or None)
if frame.empty or frame["value"].isna().all():
    st.info(f"No {metric.label} data for these filters. Widen the date range or clear a filter.")
else:
    st.markdown(f'<p class="cx-headline">{metrics.trend_headline(frame, metric, grain)}</p>', unsafe_allow_html=True)
    ui.figure(charts.trend(frame, metric, grain), frame, f"{metric_key}_by_{grain}", key="trend_chart")
    with st.popover("How we compute this", icon=":material/help:"):
        st.markdown(metric.help)
        st.markdown(
            f"Hollow grey points have fewer than {metrics.stats.MIN_N} answers or customers: read them with care."
        )
