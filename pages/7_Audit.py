"""Audit: who signed in, imported, undid, exported or changed what, and when. Admins only."""

import streamlit as st

from cx.app import audit_page, ui

ui.setup_page("Audit", filters=False, needs="admin")
st.caption(
    "Every sign-in, import, undo, export, follow-up change, deck save, settings change and refused action, "
    "newest first: who, with which role, when, what, how many rows, and whether through the dashboard or the "
    "command line."
)
audit_page.log()
audit_page.personal_data_rules()
audit_page.who_has_access()
