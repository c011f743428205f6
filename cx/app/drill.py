"""Drill-downs and call-outs: the chip that says what a page is focused on, its way back, and "worth a look".

A drill-down (clicking a touchpoint, a segment, a stage) keeps the user on the same page with a
filter; the page then shows the item against the rest, and this module draws the visible chip
naming the filter with a link back to the unfocused page.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from cx.analysis import comments, metrics, narrative
from cx.analysis.filters import Filters
from cx.app import ui
from cx.app.safe import md

BACK_KEY = "cx_back"


def focus_bar(what: str, value: str, back_label: str, back: Filters) -> None:
    """'Touchpoint: Billing inquiry' as a chip, and a way back to the same page without that filter."""
    chip, link = st.columns([3, 2], vertical_alignment="center")
    with chip.container(border=True, key="cx_focus_chip"):
        st.markdown(f":material/filter_alt: **{md(what)}:** {md(value)}")
    link.button(back_label, icon=":material/arrow_back:", on_click=_back, args=(back,), key=BACK_KEY)


def _back(back: Filters) -> None:
    ui.set_filters(back)
    ui.forget_selections()


def worth_a_look(
    shifts: pd.DataFrame, page_params: dict[str, str] | None = None, filters: Filters | None = None
) -> None:
    """The touchpoint-months that moved away from their own level (journey.touchpoint_shifts), with links to them."""
    lead, lines = narrative.shift_lines(shifts.head(3), metrics.METRICS)
    if not lines:
        return
    with st.container(border=True, key="cx_worth_a_look"):
        st.markdown(f":material/priority_high: {md(lead)}")
        for line, row in zip(lines, shifts.head(3).itertuples(), strict=True):
            text, go, why = st.columns([5, 1, 1], vertical_alignment="center")
            text.markdown(md(line))
            if (
                filters is not None and row.metric in comments.SURVEYS
            ):  # that touchpoint's comments in that month, worst first
                month = pd.Period(row.period, "M")
                there = replace(filters, start=month.start_time.date(), end=month.end_time.date())
                with why:
                    ui.comments_link(there.with_values(touchpoint=[row.touchpoint]), "Comments", survey=row.metric,
                                     sort="negative")  # fmt: skip
            start, end = shifts.attrs.get("start"), shifts.attrs.get("end")
            params = {
                "metric": row.metric,
                "grain": "month",
                "touchpoint": row.touchpoint,
                **({"from": start.isoformat(), "to": end.isoformat()} if start and end else {}),
                **(page_params or {}),
            }
            go.page_link("pages/1_Trends.py", label="See it", icon=":material/show_chart:", query_params=params)
