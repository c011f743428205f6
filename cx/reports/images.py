"""Plotly figures drawn as images by kaleido, which drives the system Chromium.

Starting Chromium costs seconds, so one kaleido server is kept warm per process and every
image (a PNG download in the app, the charts of a PDF report) goes through it. Kaleido's
server takes one request at a time through a pair of queues, so callers from several
threads (Streamlit sessions) queue on a lock rather than mixing up each other's answers.
"""

from __future__ import annotations

import threading
import time

import kaleido
import plotly.graph_objects as go

_lock = threading.Lock()
_started: dict[str, float] = {}


def warm() -> float:
    """Start the process's kaleido server if it is not running; returns the seconds that took (0 if warm)."""
    with _lock:
        return _start()


def _start() -> float:
    if "at" in _started:
        return 0.0
    began = time.perf_counter()
    # No MathJax: it would be fetched from a CDN, and our charts have no TeX.
    kaleido.start_sync_server(mathjax=False, silence_warnings=True)
    # The first figure is what really starts Chromium; draw a blank one so the caller's is quick.
    kaleido.calc_fig_sync(go.Figure(), opts=dict(format="png", width=10, height=10))
    _started["at"] = time.perf_counter() - began
    return _started["at"]


def png(figure: go.Figure, *, width: int = 1200, height: int = 675, scale: float = 2.0) -> bytes:
    """The figure as a PNG of `width` × `height` CSS pixels, `scale` times as many real pixels."""
    with _lock:
        _start()
        return kaleido.calc_fig_sync(figure, opts=dict(format="png", width=width, height=height, scale=scale))
