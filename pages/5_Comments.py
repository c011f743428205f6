"""Comments: what customers say, which themes cost NPS or CSAT, and the verbatims behind any figure."""

import streamlit as st

from cx.analysis import comments, metrics
from cx.app import auth, comments_page, ui
from cx.reports import exports

filters = ui.setup_page("Comments")
view = comments_page.current_view()
ui.view_caption(
    filters,
    "e-mail addresses, phone and card numbers are masked; sentiment only where the language has a scorer "
    "(Portuguese: experimental).",
)

choices = ui.query(comments.options)
touchpoints = ui.query(metrics.field_values, "touchpoint")
comments_page.controls(filters, view, choices, touchpoints)
frame, total = ui.query(comments.comment_page, filters, view)
comments_page.comment_list(frame, total, view)
if total:
    export = ui.query(comments.export_frame, filters, view)
    st.download_button("Download these comments (CSV, masked)", exports.csv_bytes(export),
                       file_name="comments.csv", mime="text/csv", icon=":material/download:",
                       on_click=auth.record_export, args=("comments.csv (Comments page)", len(export)))  # fmt: skip
    comments_page.view_themes_section(filters, view)

st.subheader("Themes and what they cost")
comments_page.impact_section(filters, view)
comments_page.manage_themes()
