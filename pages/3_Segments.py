"""Segments: which customers we are failing, on any metric, by any customer attribute."""

import streamlit as st

from cx import charts
from cx.analysis import metrics, narrative, segments
from cx.analysis.stats import MIN_N
from cx.app import ui
from cx.app.safe import md

filters = ui.setup_page("Segments")
coverage = ui.query(segments.data_coverage)
for note in segments.missing_data_notes(coverage):
    st.info(note, icon=":material/info:")
keys = segments.metrics_with_data(coverage)
if not keys:
    st.warning("There is no data to compare yet: import customers, interactions or survey answers on the Data page.")
    st.stop()

splits = [s for s in ui.query(metrics.split_options, "churn_rate")]
metric_key = ui.page_param("metric", keys, keys[0])
by = ui.page_param("by", splits, "segment")
pick_by, pick_metric = st.columns(2)
by = pick_by.selectbox("Compare customers by", splits, index=splits.index(by), format_func=ui.label, key="seg_by")
metric_key = pick_metric.selectbox(
    "Metric", keys, index=keys.index(metric_key), format_func=lambda k: metrics.METRICS[k].label, key="seg_metric"
)
ui.remember(by=by, metric=metric_key)
metric, by_label = metrics.METRICS[metric_key], ui.label(by)

st.subheader(f"{metric.label} by {md(by_label.lower())}")
frame = ui.query(segments.versus_rest, metric_key, filters, by)
if frame.empty or frame["value"].isna().all():
    st.info(f"No {metric.label} data for these filters. Widen the date range or clear a filter.")
else:
    ui.headline(narrative.versus_rest_headline(frame, metric, by_label, filters.days))
    figure = charts.ranked_bars(
        frame, label="group", value_label=metric.label, value_format=",.1f" if metric.unit != "score" else ".2f",
        suffix="%" if metric.unit == "%" else "", higher_is_better=metric.higher_is_better,
        reference=frame.attrs.get("overall"),
    )  # fmt: skip
    group = ui.selected(ui.figure(figure, frame, f"{metric_key}_by_{by}", key="segment_bars", on_select="rerun"))
    if group and group != metrics.UNKNOWN:
        ui.drill(filters.with_values(**{by: [group]}))
ui.how_we_compute(
    metric.help,
    "Each segment is compared with all the other customers together (two-sided test at 95%). Testing many "
    "segments at once would flag some by chance, so we control false discoveries (Benjamini–Hochberg): "
    f"blue = significantly better, red = significantly worse, grey = fewer than {MIN_N}. Whiskers: 95% interval.",
)

st.subheader(f"Every metric by {md(by_label.lower())}")
heat = ui.query(segments.heatmap, filters, by, tuple(k for k in segments.HEATMAP_METRICS if k in keys))
ui.headline(segments.heatmap_headline(heat, by_label))
if len(heat):
    labels = {k: m.label for k, m in metrics.METRICS.items()}
    ui.figure(charts.heatmap(heat, labels), heat, f"heatmap_by_{by}", key="segment_heatmap")
ui.how_we_compute(
    "Each cell is the metric for that group. Blue: significantly better than the rest, red: significantly worse "
    "(Benjamini–Hochberg within each metric); pale: no significant difference; grey: n too small."
)

st.subheader("Two groups over time")
groups = [g for g in frame["group"] if g != metrics.UNKNOWN] if len(frame) else []
if (frame["basis"] == "snapshot").any():
    st.info(f"{metric.label} is a snapshot in this data (no dates), so it cannot be followed over time.")
elif len(groups) >= 2:
    first = ui.page_param("a", groups, groups[0])
    second = ui.page_param("b", [g for g in groups if g != first], groups[-1] if groups[-1] != first else groups[0])
    pick_a, pick_b = st.columns(2)
    first = pick_a.selectbox("First", groups, index=groups.index(first), key="seg_a")
    others = [g for g in groups if g != first]
    second = pick_b.selectbox("Second", others, index=others.index(second) if second in others else 0, key="seg_b")
    ui.remember(a=first, b=second)
    grain = "week" if filters.days <= 120 else "month"
    trend = ui.query(segments.two_over_time, metric_key, filters, by, (first, second), grain)
    ui.headline(segments.two_over_time_headline(trend, metric, (first, second), grain))
    ui.figure(charts.trend(trend, metric, grain), trend, f"{metric_key}_{first}_vs_{second}", key="segment_trend")
else:
    st.info(f"Only one {md(by_label.lower())} has {metric.label} data: nothing to compare over time.")

st.subheader("Key drivers")
targets = {"nps": "NPS", "churn": "Churn"}
available = [t for t in targets if t != "nps" or coverage.get("nps")]
target = ui.page_param("driver", available, available[0])
target = (
    st.segmented_control("What explains", available, default=target, format_func=targets.get, key="seg_driver")
    or target
)
ui.remember(driver=target)
drivers = ui.query(segments.drivers, filters, target)
ui.headline(segments.drivers_headline(drivers, target))
if len(drivers):
    shown = segments.driver_bars(drivers)
    figure = charts.ranked_bars(shown, label="label", value_label="Differences explained (%)", suffix="%")
    ui.figure(figure, drivers, f"drivers_of_{target}", key="drivers_chart")
ui.how_we_compute(
    "For a touchpoint: the correlation, over customers who answered both, between their CSAT at that touchpoint "
    "and their NPS (or whether they churned); its square is the share of the differences between customers "
    "that goes with it. For an attribute: the share of the differences that lies between its groups, adjusted "
    "for the number of groups. Blue = significant after Benjamini–Hochberg.",
    "**Correlation is not cause**: a driver goes together with the outcome, which is a reason to look "
    "closer, not proof that changing it will move NPS or churn.",
)
