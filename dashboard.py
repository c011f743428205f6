"""Overview: the headline figures against the previous period. Entry point of the app."""

import streamlit as st

from cx import charts
from cx.analysis import metrics
from cx.app import ui

filters = ui.setup_page("Overview")
st.caption(
    f"{filters.start:%d %b %Y} – {filters.end:%d %b %Y} · {filters.describe()} · "
    f"changes against the previous {filters.days} days; coloured only when statistically significant (95%)."
)

tiles = ui.query(metrics.overview, filters)
columns = st.columns(3)
for index, (summary, trend) in enumerate(tiles):
    with columns[index % 3]:
        ui.kpi_tile(summary, charts.sparkline_values(trend), filters.days)
