"""The Segments page's sections: one metric by a segmentation (with a drill into one group against the
rest), every metric as a heatmap, two groups over time, and the key drivers in two lists."""

from __future__ import annotations

import streamlit as st

from cx import charts
from cx.analysis import metrics, narrative, segments, stats, trends, units
from cx.analysis.filters import Filters
from cx.app import annotations_view, drill, ui
from cx.app.safe import md

PAGE = "pages/3_Segments.py"


def by_metric(filters: Filters, metric_key: str, by: str) -> None:
    """Each group against the rest. A drilled-into group (the filter on `by`) is shown against the others,
    never alone: the comparison drops that filter and outlines the chosen group."""
    metric, by_label = metrics.METRICS[metric_key], ui.label(by)
    focus = filters.values(by)
    unfocused = filters.with_values(**{by: None})
    st.subheader(f"{metric.label} by {md(by_label.lower())}")
    if focus:
        drill.focus_bar(by_label, ", ".join(focus), f"Every {by_label.lower()}", unfocused)
    frame = ui.query(segments.versus_rest, metric_key, unfocused, by)
    if frame.empty or frame["value"].isna().all():
        st.info(f"No {metric.label} data for these filters. Widen the date range or clear a filter.")
        return frame
    if len(focus) == 1:
        row = next((r for r in frame.itertuples() if r.group == focus[0]), None)
        others = f"the other {by_label.lower()}s" if not by_label.endswith("s") else f"the other {by_label.lower()}"
        ui.headline(narrative.focus_headline(row, metric, focus[0], others, filters.days))
    else:
        ui.headline(narrative.versus_rest_headline(frame, metric, by_label, filters.days))
    if len(narrative.named_groups(frame)) < 2:
        return frame  # the headline says there is nothing to compare; one bar would only look like a ranking
    figure = charts.metric_bars(frame, metric, days=filters.days, highlight=set(focus),
                                reference=frame.attrs.get("overall"))  # fmt: skip
    unit = units.unit_for(metric, frame["value"])
    download = units.display_table(frame, metric, unit, columns=("value", "ci_low", "ci_high", "rest_value"))
    event = ui.figure(figure, download, f"{metric_key}_by_{by}", key=ui.chart_key("segment_bars"),
                      on_select="rerun")  # fmt: skip
    group = ui.selected(event)
    if group and group != metrics.UNKNOWN and group not in focus:
        ui.drill(unfocused.with_values(**{by: [group]}))
    ui.how_we_compute(
        metric.help,
        "Each group is compared with all the other customers together (two-sided test at 95%). Testing many "
        "groups at once would flag some by chance, so we control false discoveries (Benjamini–Hochberg): "
        f"blue = significantly better, red = significantly worse, grey = fewer than {stats.MIN_N}. Whiskers: 95% "
        "interval. Click a bar to see that group against the rest.",
    )
    return frame


def heatmap(filters: Filters, by: str, keys: list[str]) -> None:
    by_label = ui.label(by)
    st.subheader(f"Every metric by {md(by_label.lower())}")
    unfocused = filters.with_values(**{by: None})
    heat = ui.query(segments.heatmap, unfocused, by, tuple(k for k in segments.HEATMAP_METRICS if k in keys))
    snapshots = set(heat.loc[heat["basis"] == "snapshot", "metric"]) if "basis" in heat else set()
    labels = {k: units.label(m, filters.days, snapshot=k in snapshots) for k, m in metrics.METRICS.items()}
    ui.headline(narrative.heatmap_headline(heat, by_label, labels))
    if len(narrative.named_groups(heat)) >= 2:  # one group (or only "Unknown") would be compared with itself
        ui.figure(charts.heatmap(heat, labels), heat, f"heatmap_by_{by}", key="segment_heatmap")
    ui.how_we_compute(
        "Each cell is the metric for that group. Blue: significantly better than the rest, red: significantly worse "
        "(Benjamini–Hochberg within each metric); pale: no significant difference; grey: n too small."
    )


def two_over_time(filters: Filters, metric_key: str, by: str, frame) -> None:
    metric, by_label = metrics.METRICS[metric_key], ui.label(by)
    st.subheader("Two groups over time")
    groups = [g for g in frame["group"] if g != metrics.UNKNOWN] if frame is not None and len(frame) else []
    if frame is not None and len(frame) and (frame["basis"] == "snapshot").any():
        st.info(f"{metric.label} is a snapshot in this data (no dates), so it cannot be followed over time.")
        return
    if len(groups) < 2:
        st.info(f"Only one {md(by_label.lower())} has {metric.label} data: nothing to compare over time.")
        return
    focus = [g for g in filters.values(by) if g in groups]
    first = ui.page_param("a", groups, focus[0] if focus else groups[0])
    second = ui.page_param("b", [g for g in groups if g != first], next(g for g in reversed(groups) if g != first))
    pick_a, pick_b = st.columns(2)
    first = pick_a.selectbox("First", groups, index=groups.index(first), key="seg_a")
    others = [g for g in groups if g != first]
    second = pick_b.selectbox("Second", others, index=others.index(second) if second in others else 0, key="seg_b")
    ui.remember(a=first, b=second)
    grain = "week" if filters.days <= 120 else "month"
    trend = ui.query(segments.two_over_time, metric_key, filters.with_values(**{by: None}), by, (first, second), grain)
    ui.headline(narrative.two_groups_headline(trend, metric, (first, second), grain, filters.days))
    if len(trend) and trend["value"].notna().any():
        notes = annotations_view.notes(metric_key, filters)
        ui.figure(charts.trend(trend, metric, grain, notes),
                  units.display_table(trends.label_periods(trend, notes), metric, grain=grain),
                  f"{metric_key}_{first}_vs_{second}", key="segment_trend")  # fmt: skip
        if marks := charts.trend_key(trend, grain):
            st.caption(marks)


def drivers(filters: Filters, coverage: dict[str, int]) -> None:
    st.subheader("Key drivers")
    available = [t for t in segments.DRIVER_TARGETS if t != "nps" or coverage.get("nps")]
    target = ui.page_param("driver", available, available[0])
    target = (
        st.segmented_control(
            "What goes with", available, default=target, format_func=segments.DRIVER_TARGETS.get, key="seg_driver"
        )  # fmt: skip
        or target
    )
    ui.remember(driver=target)
    table = ui.query(segments.drivers, filters, target)
    ui.headline(narrative.drivers_headline(table, target))
    what = segments.DRIVER_TARGETS[target]
    unit = "NPS points" if target == "nps" else "churn, percentage points"
    lists = (
        ("touchpoint", f"Touchpoints: {what} of customers satisfied there (CSAT 4–5) minus those who were not"),
        ("attribute", f"Customer attributes: {what} of customers with the value minus all other customers"),
    )
    for column, (kind, title) in zip(st.columns(2), lists, strict=True):
        with column:
            st.markdown(f"**{title}**")
            rows = segments.driver_bars(table, kind, target)
            if len(rows) == 0 or rows["value"].isna().all():
                st.caption("Nothing to compare: no answers or attributes of this kind for these customers.")
                continue
            figure = charts.ranked_bars(rows, label="label", value_label=f"Difference ({unit})", value_format="+.1f",
                                        sort=False)  # fmt: skip
            ui.figure(figure, table[table["kind"] == kind], f"drivers_of_{target}_{kind}s", key=f"drivers_{kind}_chart")
    ui.how_we_compute(
        f"Each bar is a difference in {unit} with its 95% interval and n. ↑ goes with more {what}, ↓ with less. "
        "Ranked on the end of the interval nearest zero, so a large effect from few customers does not outrank a "
        "solid one; blue or red = significant after Benjamini–Hochberg across every comparison, grey = fewer than "
        f"{stats.MIN_N} on a side. Each attribute is shown by its value with the strongest effect.",
        "**Correlation is not cause**: a driver goes together with the outcome, which is a reason to look "
        "closer, not proof that changing it will move NPS or churn.",
    )
