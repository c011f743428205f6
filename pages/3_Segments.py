"""Segments: which customers we are failing, on any metric, by any customer attribute."""

import streamlit as st

from cx.analysis import metrics, segments
from cx.app import segments_view, ui

filters = ui.setup_page("Segments")
coverage = ui.query(segments.data_coverage)
for note in segments.missing_data_notes(coverage):
    st.info(note, icon=":material/info:")
keys = segments.metrics_with_data(coverage)
if not keys:
    st.warning("There is no data to compare yet: import customers, interactions or survey answers on the Data page.")
    st.stop()

splits = list(ui.query(metrics.split_options, "churn_rate"))
metric_key = ui.page_param("metric", keys, keys[0])
by = ui.page_param("by", splits, "segment")
pick_by, pick_metric = st.columns(2)
by = pick_by.selectbox("Compare customers by", splits, index=splits.index(by), format_func=ui.label, key="seg_by")
metric_key = pick_metric.selectbox(
    "Metric", keys, index=keys.index(metric_key), format_func=lambda k: metrics.METRICS[k].label, key="seg_metric"
)
ui.remember(by=by, metric=metric_key)

frame = segments_view.by_metric(filters, metric_key, by)
segments_view.heatmap(filters, by, keys)
segments_view.two_over_time(filters, metric_key, by, frame)
segments_view.drivers(filters, coverage)
