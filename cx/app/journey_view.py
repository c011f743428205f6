"""The Journey page's sections: pain points on any survey metric, a touchpoint's focused view, flow,
channels and outcomes. The page file reads as the storyboard; each section here asks cx.analysis and
draws, and draws no chart when there is nothing to rank or compare (one sentence says why instead).
"""

from __future__ import annotations

import streamlit as st

from cx import charts
from cx.analysis import journey, metrics, narrative, segments, trends, units
from cx.analysis.filters import Filters
from cx.app import annotations_view, drill, ui
from cx.app.safe import md

PAGE = "pages/2_Journey.py"


def pain_metric(filters: Filters) -> str | None:
    """The survey metric pain points rank on: chosen, else the one with most answers naming a touchpoint."""
    available = ui.query(journey.rankable, filters)
    if not available:
        return None
    keys = list(available)
    chosen = ui.page_param("pain", keys, journey.default_metric(available))
    if len(keys) > 1:
        chosen = (
            st.segmented_control(
                "Rank touchpoints on",
                keys,
                default=chosen,
                format_func=lambda k: f"{metrics.METRICS[k].label} (n = {available[k]:,})",
                key="pain_metric",
            )
            or chosen
        )
    ui.remember(pain=chosen)
    return chosen


def pain_points(filters: Filters, key: str | None) -> None:
    st.subheader("Pain points")
    if key is None:
        st.info(
            "No survey answer in this period names a touchpoint, so touchpoints cannot be ranked. "
            "When importing, map a column to touchpoint on the Data page.",
            icon=":material/info:",
        )
        return
    metric = metrics.METRICS[key]
    table = ui.query(journey.touchpoints, filters, key)
    ranked = journey.pain_points(table, metric.higher_is_better)
    ui.headline(narrative.pain_headline(table, metric, filters.days))
    if not journey.can_rank(table):
        return  # the headline says why; an empty or one-bar chart would only look like a ranking
    bars_column, scatter_column = st.columns(2)
    with bars_column:
        figure = charts.metric_bars(ranked.rename(columns={"touchpoint": "group"}), metric, worst_first=True)
        event = ui.figure(
            figure, ranked, f"pain_points_{key}", key=ui.chart_key(f"pain_points_chart_{key}"), on_select="rerun"
        )
    scatter = None
    with scatter_column:
        ui.headline(narrative.volume_headline(table, metric))
        if (table["volume"] > 0).sum() >= 2:
            scatter = ui.figure(
                charts.volume_satisfaction(table, metric),
                table,
                "touchpoints",
                key=ui.chart_key("volume_chart"),
                on_select="rerun",
            )
    chosen = ui.selected(event, "y") or (ui.selected(scatter, "customdata", 4) if scatter else None)
    if chosen:
        ui.drill(filters.with_values(touchpoint=[chosen]))
    ui.how_we_compute(
        metric.help,
        narrative.pain_colours(metric.label, filters.days) + " Click a touchpoint to see it against the others.",
    )
    with st.expander("All touchpoints by stage: volume, score, change, times"):
        shown = table.drop(columns=["stage_order", "p_value"]).rename(
            columns={"value": units.column(metric), "n": "answers", "previous": f"{metric.label} before"}
        )
        for column, duration in (
            ("response_median_s", "first_response_time"),
            ("resolution_median_s", "resolution_time"),
        ):
            if column in shown:  # in the same unit as the tiles and axes, never raw seconds
                timing = metrics.METRICS[duration]
                unit = units.unit_for(timing, shown[column])
                shown[units.column(timing, unit)] = units.convert(timing, shown.pop(column), unit).round(1)
        st.dataframe(shown, hide_index=True)


def touchpoint_focus(filters: Filters, touchpoint: str, key: str | None) -> None:
    """One touchpoint against the other touchpoints: its score, trend, channels and segments, with n."""
    unfocused = filters.with_values(touchpoint=None)
    drill.focus_bar("Touchpoint", touchpoint, "All touchpoints", unfocused)
    if key is None:
        st.info("No survey answer in this period names a touchpoint, so there is nothing to compare it on.")
        return
    metric = metrics.METRICS[key]
    versus = ui.query(journey.touchpoint_versus_rest, key, filters)
    row = next((r for r in versus.itertuples() if r.group == touchpoint), None)
    st.subheader(f"{md(touchpoint)} against the other touchpoints")
    ui.headline(narrative.focus_headline(row, metric, touchpoint, "the other touchpoints", filters.days))
    ui.comments_link(filters, f"Comments behind {touchpoint}: {metric.label} answers, most negative first",
                     survey=key, sort="negative")  # fmt: skip
    grain = "week" if filters.days <= 120 else "month"
    trend = ui.query(journey.focus_trend, key, filters, touchpoint, grain)
    if len(trend) and trend["value"].notna().any():
        notes = annotations_view.notes(key, filters)
        ui.figure(charts.trend(trend, metric, grain, notes),
                  units.display_table(trends.label_periods(trend, notes), metric, grain=grain),
                  f"{key}_{touchpoint}_vs_others", key="focus_trend_chart")  # fmt: skip
        if marks := charts.trend_key(trend, grain):
            st.caption(marks)
    for by, title in (("channel", "By channel"), ("segment", "By segment")):
        st.subheader(f"{title}, at {md(touchpoint)}")
        table = ui.query(segments.versus_rest, key, filters, by)
        table = table[table["group"] != metrics.UNKNOWN]
        ui.headline(narrative.versus_rest_headline(table, metric, ui.label(by), filters.days))
        if int((~table["small"].astype(bool) & table["value"].notna()).sum()) >= 2:
            ui.figure(charts.metric_bars(table, metric, days=filters.days), table, f"{key}_{touchpoint}_by_{by}",
                      key=f"focus_{by}_chart")  # fmt: skip
    volume = ui.query(journey.touchpoints, filters, key)
    here = volume[volume["touchpoint"] == touchpoint]
    if len(here):
        st.caption(
            f"{md(touchpoint)}: {int(here['volume'].iloc[0]):,} interactions from {int(here['customers'].iloc[0]):,} "
            f"customers and {int(here['n'].iloc[0]):,} {md(metric.label)} answers in this period."
        )


def flow(filters: Filters) -> None:
    st.subheader("Flow through the journey")
    splits = [""] + list(ui.query(metrics.split_options, "churn_rate"))
    flow_by = ui.page_param("flow_by", splits, "")
    flow_by = st.selectbox("Compare the flow by", splits, index=splits.index(flow_by),
                           format_func=lambda s: ui.label(s) if s else "No split")  # fmt: skip
    ui.remember(flow_by=flow_by or None)
    table = ui.query(journey.stage_flow, filters, flow_by or None)
    if table.empty:
        st.info(
            "No interaction in this period names a journey stage, so there is no flow to draw. "
            "When importing, map a column to journey_stage on the Data page.",
            icon=":material/info:",
        )
        return
    stage = filters.values("journey_stage")
    chosen = stage[0] if len(stage) == 1 else None
    ui.headline(narrative.stage_headline(table, chosen) if chosen else narrative.flow_headline(table))
    # A new key once a stage is chosen: the old chart's selection would fade the other stages.
    event = ui.figure(charts.funnel(table, highlight=chosen), table, "journey_flow", key=ui.chart_key("flow_chart"),
                      on_select="rerun")  # fmt: skip
    if picked := ui.selected(event, "y"):
        ui.drill(filters.with_values(journey_stage=[picked.lower()]))
    ui.how_we_compute(
        "Customers with an interaction in the period, counted at every stage they have reached so far "
        "(earlier periods included). 'Went no further' = the furthest stage a customer has reached."
    )


def channels(filters: Filters) -> None:
    st.subheader("Channel consistency")
    table = ui.query(journey.channel_consistency, filters)
    ui.headline(narrative.channel_headline(table))
    if len(table):
        event = ui.figure(charts.channel_dots(table), table, "channel_consistency", key=ui.chart_key("channel_chart"),
                          on_select="rerun")  # fmt: skip
        if ui.selected(event, "y"):
            channel = ui.selected(event, "customdata", 2)
            ui.drill(filters.with_values(touchpoint=[ui.selected(event, "y")], channel=[channel] if channel else None))
    ui.how_we_compute(
        "CSAT of each touchpoint per channel, compared with the same touchpoint's other channels "
        "(two-proportion test, Benjamini–Hochberg across all pairs). A red diamond is significantly worse."
    )


def outcomes(filters: Filters) -> None:
    st.subheader("Experience → outcome")
    window = ui.query(journey.outcome_window)
    answered = journey.outcome_period(filters, window)
    if answered != filters:
        st.caption(
            f"Answers in the chosen period are too recent to see {window.days} days of what customers did next "
            f"(the data ends {window.data_end:%d %b %Y}), so this uses answers from {answered.start:%d %b %Y} – "
            f"{answered.end:%d %b %Y}."
        )
    table = journey.outcome_table(ui.query(journey.experience_outcomes, answered))
    if table.empty:
        st.info("No NPS or CSAT answers from identified customers with a complete follow-up for these filters.")
        return
    for survey, column in zip(("nps", "csat"), st.columns(2), strict=True):
        with column:
            rows = journey.outcome_bars(table, survey)
            ui.headline(narrative.outcome_headline(journey.outcome_gap(table, survey), survey, window.days))
            if len(rows) >= 2:
                figure = charts.ranked_bars(rows, label="experience", value_label=f"Churned within {window.days} days (%)",
                                            suffix="%", flag=None, sort=False)  # fmt: skip
                ui.figure(figure, rows, f"outcome_{survey}", key=f"outcome_{survey}_chart")
    ui.how_we_compute(
        f"Each customer's latest NPS and CSAT answer in the period, if it is at least {window.days} days old: did "
        f"they churn in the {window.days} days after, and how much revenue did they bring? The gap is measured "
        "within each segment × plan (so bigger customers are compared with bigger ones) and then added up; the range "
        "is a 95% interval. At risk = customers (and the revenue like customers with a good experience brought) lost "
        "beyond what customers with a good experience lost. It shows what goes together, not proof that the "
        "experience caused the churn."
    )
