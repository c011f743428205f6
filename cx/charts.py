"""DataFrame → Plotly Figure, one theme for every chart.

Chart functions never touch Streamlit, so they are tested by reading the figure.
Colours are the Okabe–Ito palette, safe for colour-blind viewers; large type so a
chart reads across a meeting room.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from cx.metrics import Metric

# Okabe & Ito (2008), the colour-blind-safe palette; blue first, orange for contrast.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
GOOD, BAD, NEUTRAL, MUTED = "#0072B2", "#D55E00", "#7F7F7F", "#BBBBBB"
FONT = "Inter, 'Segoe UI', 'Helvetica Neue', Arial, sans-serif"

pio.templates["cx"] = go.layout.Template(
    layout=dict(
        font=dict(family=FONT, size=16, color="#1F2937"),
        colorway=PALETTE,
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        xaxis=dict(showgrid=False, linecolor="#9CA3AF", ticks="outside", tickcolor="#9CA3AF"),
        yaxis=dict(gridcolor="#E5E7EB", zeroline=False),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0, title_text=""),
        margin=dict(l=10, r=10, t=40, b=10),
        hoverlabel=dict(font_size=15),
    )
)
TEMPLATE = "cx"


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _value_format(metric: Metric) -> str:
    return {"%": ".1f", "pts": ".1f", "score": ".2f", "s": ",.0f", "$": ",.0f"}[metric.unit]


def trend(frame: pd.DataFrame, metric: Metric, grain: str = "month") -> go.Figure:
    """One line per group with its 95% band; periods with n below the minimum drawn hollow and grey."""
    figure = go.Figure()
    value_format = _value_format(metric)
    unit = {"%": "%", "pts": "", "score": "", "s": " s", "$": ""}[metric.unit]
    for index, (group, rows) in enumerate(frame.groupby("group", sort=False)):
        colour = PALETTE[index % len(PALETTE)]
        rows = rows.sort_values("period")
        band = rows.dropna(subset=["ci_low", "ci_high"])
        if len(band):
            figure.add_trace(
                go.Scatter(
                    x=list(band.period) + list(band.period[::-1]),
                    y=list(band.ci_high) + list(band.ci_low[::-1]),
                    fill="toself",
                    fillcolor=_rgba(colour, 0.15),
                    line=dict(width=0),
                    hoverinfo="skip",
                    showlegend=False,
                    legendgroup=str(group),
                    name=f"{group} 95% interval",
                )
            )
        small = rows["small"].astype(bool)
        figure.add_trace(
            go.Scatter(
                x=rows.period,
                y=rows.value,
                mode="lines+markers",
                name=str(group),
                legendgroup=str(group),
                line=dict(color=colour, width=3),
                marker=dict(
                    size=[7 if s else 8 for s in small],
                    color=[MUTED if s else colour for s in small],
                    symbol=["circle-open" if s else "circle" for s in small],
                    line=dict(color=colour, width=2),
                ),
                customdata=rows[["n", "ci_low", "ci_high"]].to_numpy(),
                hovertemplate=(
                    f"<b>{group}</b> · %{{x|%d %b %Y}}<br>{metric.label} %{{y:{value_format}}}{unit}"
                    f"<br>95% interval %{{customdata[1]:{value_format}}} – %{{customdata[2]:{value_format}}}"
                    "<br>n = %{customdata[0]:,}<extra></extra>"
                ),
            )
        )
    figure.update_layout(
        template=TEMPLATE,
        height=460,
        hovermode="closest",
        yaxis_title=metric.label + (" (%)" if metric.unit == "%" else " (seconds)" if metric.unit == "s" else ""),
        showlegend=frame["group"].nunique() > 1,
    )
    return figure


def sparkline_values(frame: pd.DataFrame) -> list[float]:
    """The trend as a plain list for a KPI tile's small line (periods without data left out)."""
    return [float(v) for v in frame.sort_values("period")["value"].dropna()]
