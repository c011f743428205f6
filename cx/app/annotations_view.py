"""Annotations on the Trends page: what a leader named (a day and a label), a before/after test across each,
and the form to add or remove one (editor role; recorded in the audit trail)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from cx.analysis import metrics, narrative, trends
from cx.analysis.filters import Filters
from cx.app import auth, ui
from cx.app.safe import md
from cx.store import annotations as store
from cx.store import db

MESSAGE_KEY = "cx_annotation_message"


def notes(metric_key: str, filters: Filters) -> pd.DataFrame:
    """The annotations every chart of this metric draws (cached with the data version)."""
    return ui.query(trends.annotations, metric_key, filters)


def across(metric_key: str, filters: Filters) -> None:
    """One tested sentence per annotation in the period: the metric after it against before it."""
    found = ui.query(trends.across_annotations, metric_key, filters)
    metric = metrics.METRICS[metric_key]
    for result in found:
        ui.headline(narrative.across_headline(result.note["label"], result.note["day"], result.days,
                                              result.summary, metric))  # fmt: skip


def panel(metric_key: str, filters: Filters, shown: pd.DataFrame) -> None:
    """The annotations of this period with their author, and (for editors) a form to add or remove one."""
    metric = metrics.METRICS[metric_key]
    if message := st.session_state.pop(MESSAGE_KEY, None):
        st.success(md(message), icon=":material/check:")
    with st.expander(f"Annotations ({len(shown)})", icon=":material/bookmark:"):
        for note in shown.itertuples():
            where = "every metric" if note.metric is None or pd.isna(note.metric) else metrics.METRICS.get(
                note.metric, metric).label  # fmt: skip
            text, remove = st.columns([5, 1], vertical_alignment="center")
            text.markdown(md(f"{note.day:%d %b %Y} · {note.label} · on {where} · by {note.author}, "
                             f"{pd.Timestamp(note.created_at):%d %b %Y}"))  # fmt: skip
            if auth.can("editor") and remove.button("Remove", key=f"cx_annotation_remove_{note.annotation_id}",
                                                    icon=":material/delete:"):  # fmt: skip
                auth.require("editor", "removing an annotation")
                store.remove(int(note.annotation_id), db.db_path())
                auth.record("annotation", f"removed: {note.label} ({note.day:%Y-%m-%d})")
                st.session_state[MESSAGE_KEY] = f"Annotation removed: {note.label}."
                st.rerun()
        if not auth.can("editor"):
            st.caption("Adding annotations needs the editor role.")
            return
        with st.form("cx_annotation_form", clear_on_submit=True, border=False):
            day_column, label_column, scope_column = st.columns([2, 4, 2], vertical_alignment="bottom")
            day = day_column.date_input("Day", value=min(filters.end, date.today()), key="cx_annotation_day",
                                        format="YYYY-MM-DD")  # fmt: skip
            label = label_column.text_input("What happened", max_chars=store.MAX_LABEL, key="cx_annotation_label",
                                            placeholder="New billing system live")  # fmt: skip
            every = scope_column.checkbox("On every metric", key="cx_annotation_every")
            if st.form_submit_button("Add annotation", icon=":material/bookmark_add:"):
                _add(None if every else metric_key, day, label)


def _add(metric_key: str | None, day: date, label: str) -> None:
    person = auth.require("editor", "adding an annotation")
    try:
        text = store.clean_label(label)
    except ValueError as problem:
        st.warning(md(problem), icon=":material/warning:")
        return
    store.add(metric_key, day, text, person.email or auth.operator_name(), db.db_path())
    auth.record("annotation", f"added: {text} ({day:%Y-%m-%d})", detail={"metric": metric_key or "every metric"})
    st.session_state[MESSAGE_KEY] = f"Annotation added: {text} ({day:%d %b %Y})."
    st.rerun()
