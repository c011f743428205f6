"""Journey: where in the customer journey experience breaks, and what it costs."""

import streamlit as st

from cx import charts
from cx.analysis import journey, metrics
from cx.analysis.stats import MIN_N
from cx.app import ui
from cx.app.safe import md

filters = ui.setup_page("Journey")
st.caption(
    f"{filters.start:%d %b %Y} – {filters.end:%d %b %Y} · {md(filters.describe())} · "
    "click a bar or point to filter on it; red marks only significant (95%) differences."
)

table = ui.query(journey.touchpoints, filters)
if table.empty:
    st.info("No interactions with a touchpoint in this period. Widen the date range or clear a filter.")
    st.stop()

st.subheader("Pain points")
ranked = journey.pain_points(table)
ui.headline(journey.pain_headline(table, filters.days))
bars_column, scatter_column = st.columns(2)
with bars_column:
    figure = charts.ranked_bars(
        journey.pain_bars(ranked), label="touchpoint", value_label="CSAT (%)", suffix="%", higher_is_better=False
    )
    event = ui.figure(figure, ranked, "pain_points", key="pain_points_chart", on_select="rerun")
with scatter_column:
    ui.headline(journey.volume_headline(table))
    scatter = ui.figure(
        charts.volume_satisfaction(table), table, "touchpoints", key="volume_satisfaction_chart", on_select="rerun"
    )
chosen = ui.selected(event, "y") or ui.selected(scatter, "customdata", 3)
if chosen:
    ui.drill(filters.with_values(touchpoint=[chosen]))
if picked := filters.values("touchpoint"):
    ui.comments_link(filters, f"Comments behind {', '.join(picked)}: CSAT answers, most negative first", survey="csat",
                     sort="negative")  # fmt: skip
ui.how_we_compute(
    metrics.METRICS["csat"].help,
    f"Red: CSAT fell significantly against the previous {filters.days} days. With many touchpoints tested at "
    "once, we control false discoveries (Benjamini–Hochberg), so a red bar is unlikely to be chance. "
    f"Grey: fewer than {MIN_N} answers.",
)

with st.expander("All touchpoints by stage: volume, CSAT, NPS of the customers who passed through, times"):
    st.dataframe(
        table.drop(columns=["stage_order", "csat_p_value", "csat_q_value"]),
        hide_index=True,
        column_config={
            "csat": st.column_config.NumberColumn("CSAT %", format="%.1f"),
            "nps": st.column_config.NumberColumn("NPS", format="%.0f"),
            "response_median_s": st.column_config.NumberColumn("First response (median, s)", format="%.0f"),
            "resolution_median_s": st.column_config.NumberColumn("Resolution (median, s)", format="%.0f"),
        },
    )

st.subheader("Flow through the journey")
splits = [""] + [s for s in ui.query(metrics.split_options, "churn_rate")]
flow_by = ui.page_param("flow_by", splits, "")
flow_by = st.selectbox(
    "Compare the flow by", splits, index=splits.index(flow_by), format_func=lambda s: ui.label(s) if s else "No split"
)
ui.remember(flow_by=flow_by or None)
flow = ui.query(journey.stage_flow, filters, flow_by or None)
if flow.empty:
    st.info(
        "No interaction in this period names a journey stage, so there is no flow to draw. "
        "When importing, map a column to journey_stage on the Data page.",
        icon=":material/info:",
    )
else:
    ui.headline(journey.flow_headline(flow))
    event = ui.figure(charts.funnel(flow), flow, "journey_flow", key="flow_chart", on_select="rerun")
    if stage := ui.selected(event, "y"):
        ui.drill(filters.with_values(journey_stage=[stage.lower()]))
ui.how_we_compute(
    "Customers with an interaction in the period, counted at every stage they have reached so far "
    "(earlier periods included). 'Went no further' = the furthest stage a customer has reached."
)

st.subheader("Channel consistency")
channels = ui.query(journey.channel_consistency, filters)
ui.headline(journey.channel_headline(channels))
if len(channels):
    event = ui.figure(
        charts.channel_dots(channels), channels, "channel_consistency", key="channel_chart", on_select="rerun"
    )
    if ui.selected(event, "y"):
        channel = ui.selected(event, "customdata", 2)
        ui.drill(filters.with_values(touchpoint=[ui.selected(event, "y")], channel=[channel] if channel else None))
ui.how_we_compute(
    "CSAT of each touchpoint per channel, compared with the same touchpoint's other channels "
    "(two-proportion test, Benjamini–Hochberg across all pairs). A red diamond is significantly worse."
)

st.subheader("Experience → outcome")
window = ui.query(journey.outcome_window)
answered = journey.outcome_period(filters, window)
if answered != filters:
    st.caption(
        f"Answers in the chosen period are too recent to see {window.days} days of what customers did next "
        f"(the data ends {window.data_end:%d %b %Y}), so this uses answers from {answered.start:%d %b %Y} – "
        f"{answered.end:%d %b %Y}."
    )
outcomes = journey.outcome_table(ui.query(journey.experience_outcomes, answered))
if outcomes.empty:
    st.info("No NPS or CSAT answers from identified customers with a complete follow-up for these filters.")
else:
    for survey, column in zip(("nps", "csat"), st.columns(2), strict=True):
        with column:
            rows = journey.outcome_bars(outcomes, survey)
            ui.headline(journey.outcome_headline(outcomes, survey, window.days))
            if len(rows):
                figure = charts.ranked_bars(
                    rows, label="experience", value_label=f"Churned within {window.days} days (%)", suffix="%",
                    flag=None, sort=False,
                )  # fmt: skip
                ui.figure(figure, rows, f"outcome_{survey}", key=f"outcome_{survey}_chart")
ui.how_we_compute(
    f"Each customer's latest NPS and CSAT answer in the period, if it is at least {window.days} days old: "
    f"did they churn in the {window.days} days after, and how much revenue did they bring? "
    "At risk = customers (revenue) lost beyond what as many customers with a good experience lost (brought). "
    "It shows what goes together, not proof that the experience caused the churn."
)
