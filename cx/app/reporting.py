"""The one-click PDF report in the app: a button, a progress bar while it renders, then the download."""

from __future__ import annotations

import re
from typing import Any

import streamlit as st

from cx.reports import report
from cx.store import db

RESULT_KEY = "cx_report_pdf"  # (button key, file name, bytes, summary) of the last report made


def pdf_button(label: str, key: str, file_stem: str, **build: Any) -> None:
    """Make the report (cx.reports.report.build(**build)) when clicked, showing progress; offer its download."""
    if st.button(label, icon=":material/picture_as_pdf:", key=key):
        bar = st.progress(0.0, text="Drawing the report…")
        try:
            made = report.build(
                database=db.db_path(), progress=lambda done, step: bar.progress(done, text=step), **build
            )
        except ValueError as problem:
            bar.empty()
            st.error(str(problem))
            return
        bar.empty()
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", file_stem).strip("-") or "report"
        summary = f"{made.pages} pages, {made.timing.seconds:.0f} s"
        st.session_state[RESULT_KEY] = (
            key,
            f"{name}-{made.period.split(' – ')[0].replace(' ', '')}.pdf",
            made.pdf,
            summary,
        )
    result = st.session_state.get(RESULT_KEY)
    if result and result[0] == key:
        _, file_name, data, summary = result
        st.download_button(f"Download the PDF ({summary})", data, file_name=file_name, mime="application/pdf",
                           icon=":material/download:", key=f"{key}_download", on_click="ignore")  # fmt: skip
