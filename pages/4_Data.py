"""Data: upload exports, check what we detected, import, and review or undo past imports."""

import streamlit as st

from cx.app import data_page, ui

ui.setup_page("Data", filters=False, needs="editor")
if ui.warehouse_notice():
    st.stop()
st.caption(
    "Upload CSV, Excel or Parquet exports from your CRM, survey tool or help desk. We detect what each file "
    "holds and how its columns map; check the preview, then import. Re-importing a file adds nothing twice; "
    f"rejected rows are kept aside with their reasons. Files up to {data_page.MAX_UPLOAD_MB} MB; larger ones: "
    "`python -m cx import FILE`."
)
uploads = st.file_uploader(
    "Files to import",
    type=["csv", "tsv", "txt", "xlsx", "xlsm", "xls", "parquet"],
    accept_multiple_files=True,
    key="uploads",
)
for upload in uploads or []:
    with st.container(border=True):
        data_page.file_section(upload)

data_page.history()
