"""Journey: where in the customer journey experience breaks, and what it costs."""

import streamlit as st

from cx.analysis import journey
from cx.app import drill, journey_view, ui

filters = ui.setup_page("Journey")
ui.view_caption(
    filters, "click a bar or point to see it against the rest; red marks only significant (95%) differences."
)
drill.worth_a_look(ui.query(journey.touchpoint_shifts, filters), filters=filters)

key = journey_view.pain_metric(filters)
touchpoint = filters.values("touchpoint")
if len(touchpoint) == 1:  # a drill-down: that touchpoint against the others
    journey_view.touchpoint_focus(filters, touchpoint[0], key)
    st.stop()

stage = filters.values("journey_stage")
if len(stage) == 1:
    drill.focus_bar("Journey stage", stage[0], "Whole journey", filters.with_values(journey_stage=None))
journey_view.pain_points(filters, key)
journey_view.flow(filters)
journey_view.channels(filters)
journey_view.outcomes(filters)
