"""Every chart as the screen, PNG and PDF show it: our template, 16 px text or more, dark ink, lines named directly."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from cx import charts
from cx.analysis.metrics import METRICS


def two_line_trend() -> pd.DataFrame:
    periods = pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01"])
    return pd.DataFrame(
        {
            "period": list(periods) * 2,
            "group": ["SMB"] * 3 + ["Enterprise"] * 3,
            "value": [30.0, 32.0, 31.0, 40.0, 41.0, 31.5],
            "n": [120] * 6,
            "ci_low": [25.0, 27.0, 26.0, 35.0, 36.0, 26.5],
            "ci_high": [35.0, 37.0, 36.0, 45.0, 46.0, 36.5],
            "small": [False] * 6,
        }
    )


def every_font_size(figure: go.Figure) -> list[float]:
    layout = figure.layout
    sizes = [layout.font.size, layout.xaxis.tickfont.size, layout.yaxis.tickfont.size, layout.legend.font.size]
    sizes += [a.font.size for a in layout.annotations]
    for trace in figure.data:
        if "textfont" in trace and trace.textfont.size is not None:
            size = trace.textfont.size
            sizes += list(size) if isinstance(size, list | tuple) else [size]
    return sizes


def test_small_text_in_a_chart_is_raised_to_sixteen_pixels():
    frame = pd.DataFrame({"label": ["A", "B"], "value": [50.0, 60.0], "n": [100, 100], "ci_low": [45.0, 55.0],
                          "ci_high": [55.0, 65.0], "small": [False, True]})  # fmt: skip
    figure = charts.ranked_bars(frame, label="label", value_label="CSAT (%)", reference=55.0)
    assert min(every_font_size(charts.readable(figure))) >= 16


def test_pale_grey_text_becomes_dark_enough_for_seven_to_one():
    figure = go.Figure(go.Scatter(x=[1], y=[1], mode="text", text=["n too small"], textfont=dict(color="#9CA3AF")))
    figure.add_annotation(x=1, y=1, text="all 50%", font=dict(color="#7F7F7F"))
    shown = charts.readable(figure)
    assert charts.contrast_on_white(shown.data[0].textfont.color) >= 7
    assert charts.contrast_on_white(shown.layout.annotations[0].font.color) >= 7


def test_the_template_colours_its_text_at_seven_to_one_or_more():
    layout = charts.readable(go.Figure()).layout
    assert charts.contrast_on_white(layout.template.layout.font.color) >= 7


def test_lines_are_named_at_their_ends_instead_of_in_a_legend():
    shown = charts.readable(charts.trend(two_line_trend(), METRICS["nps"]))
    assert shown.layout.showlegend is False
    labels = {a.text.split("</span> ")[-1]: a for a in shown.layout.annotations}
    assert set(labels) == {"SMB", "Enterprise"}
    assert labels["SMB"].x == pd.Timestamp("2026-03-01")  # at the last point of its line


def test_two_line_labels_that_would_overlap_are_pushed_apart():
    shown = charts.readable(charts.trend(two_line_trend(), METRICS["nps"]))  # both lines end near 31
    lower, upper = sorted(shown.layout.annotations, key=lambda a: a.y)
    assert lower.yshift == 0 and upper.yshift > 0


def test_labels_are_spread_a_line_apart_and_never_moved_down():
    assert charts.spread([0.0, 5.0, 100.0], gap=20) == [0.0, 20.0, 100.0]
    assert charts.spread([10.0, 10.0, 10.0], gap=20) == [10.0, 30.0, 50.0]


def test_a_single_line_keeps_no_labels():
    frame = two_line_trend()
    shown = charts.readable(charts.trend(frame[frame["group"] == "SMB"], METRICS["nps"]))
    assert len(shown.layout.annotations) == 0


def test_present_mode_makes_every_text_half_as_large_again():
    shown = charts.readable(charts.trend(two_line_trend(), METRICS["nps"]), scale=1.5)
    assert min(every_font_size(shown)) >= 24


def test_readable_leaves_the_original_figure_as_it_was():
    figure = charts.trend(two_line_trend(), METRICS["nps"])
    charts.readable(figure)
    assert len(figure.layout.annotations) == 0
