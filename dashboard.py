"""Overview: the headline figures against the previous period. Entry point of the app."""

import streamlit as st

from cx.analysis import briefing, comments, metrics, trends
from cx.app import followup_page, ui

filters = ui.setup_page("Overview")
ui.view_caption(
    filters,
    f"changes against the previous {filters.days} days; coloured only when statistically significant (95%). "
    "Sparklines end at the last complete period.",
)

tiles, found = ui.query(briefing.with_tiles, filters)  # one reading: the briefing speaks of the tiles' figures
ui.briefing_section(filters, found)

st.subheader("Headline figures")
grain, span = metrics.sparkline_grain(filters), ui.data_span()
for row in range(0, len(tiles), 3):  # row by row, so a phone stacks the tiles in the desktop's order
    for column, (summary, trend) in zip(st.columns(3), tiles[row : row + 3], strict=False):
        with column:
            ui.kpi_tile(summary, trends.sparkline(trend, grain, filters, span), filters.days)
# The comments behind the survey tiles, below the grid so the six tiles still fit one 1280×720 screen.
surveys = [summary.metric for summary, _ in tiles if summary.metric.key in comments.SURVEYS]
for metric, column in zip(surveys, st.columns(3), strict=False):
    with column:
        ui.comments_link(filters, f"The comments behind {metric.label}", survey=metric.key)
ui.overview_download(tiles, filters)

followup_page.overview_tiles(filters)
