"""User text is data, never markup: the one place where data meets Markdown, and where it meets Plotly.

Names, segments, touchpoints, comments, file names and URL parameters come from
outsiders. Streamlit renders Markdown (links, images, `:red[…]` directives,
`$…$` maths) in st.markdown, captions, messages and labels, so every value
from data is passed through `md()` before it is put into such a string.
CommonMark lets any ASCII punctuation be escaped with a backslash, which makes
every one of those constructs inert while the text reads the same. GitHub's
"autolink literals" (https://…, www.…, name@host) are found in the text after
the escapes are read, so they are broken with an invisible word joiner instead.

Plotly reads a subset of HTML in every text it draws (`<a href>`, `<b>`,
`<span style>`); `figure()` escapes the data-driven texts of a figure so they
are drawn as written.
"""

from __future__ import annotations

import html
import re
from typing import Any

import numpy as np
import plotly.graph_objects as go

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character
_AUTOLINK = re.compile(r"(?i)(?<=www)(?=\.)|(?<=@)|(?=://)")  # where an autolink literal would start to form
WORD_JOINER = "\u2060"  # invisible, and no character of a link


def md(value: object) -> str:
    """`value` as literal text inside Markdown: no link, image, HTML, directive or maths can form."""
    text = "" if value is None else str(value)
    text = text.replace("\x00", "").replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    text = _AUTOLINK.sub(WORD_JOINER, text)
    return _PUNCTUATION.sub(r"\\\1", text)


# Trace and axis properties whose values come from data (categories, names, hover data).
# Templates (hovertemplate, texttemplate) are ours and keep their markup; they show data only
# through %{…} placeholders, which read these escaped values.
_TRACE_TEXT = ("x", "y", "text", "hovertext", "customdata", "name", "legendgroup", "labels", "ids")
_AXIS_TEXT = ("categoryarray", "ticktext")


def plotly_text(value: Any) -> Any:
    """Strings (in lists and arrays too) escaped for Plotly, which then draws them exactly as written."""
    if isinstance(value, str):
        return html.escape(value, quote=False)
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "OUS":
            return np.vectorize(plotly_text, otypes=[object])(value) if value.size else value
        return value
    if isinstance(value, list | tuple):
        return [plotly_text(v) for v in value]
    return value


def figure(fig: go.Figure) -> dict:
    """The figure as a spec whose data texts cannot become markup in the browser."""
    spec = fig.to_dict()
    for trace in spec.get("data", []):
        for key in _TRACE_TEXT:
            if key in trace:
                trace[key] = plotly_text(trace[key])
    for name, axis in spec.get("layout", {}).items():
        if name.startswith(("xaxis", "yaxis")) and isinstance(axis, dict):
            for key in _AXIS_TEXT:
                if key in axis:
                    axis[key] = plotly_text(axis[key])
    return spec


def from_plotly(value: str) -> str:
    """A value a chart selection sends back, as it is in the data."""
    return html.unescape(value)
