"""DataFrame → Plotly Figure, one theme for every chart.

Chart functions never touch Streamlit, so they are tested by reading the figure.
Colours are the Okabe–Ito palette, safe for colour-blind viewers; large type so a
chart reads across a meeting room.
"""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from cx.analysis import narrative, units
from cx.analysis.metrics import REST, Metric

# Okabe & Ito (2008), the colour-blind-safe palette; blue first, orange for contrast, yellow last
# (it is the hardest to see on white).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442"]
GOOD, BAD, NEUTRAL, MUTED = "#0072B2", "#D55E00", "#7F7F7F", "#BBBBBB"
FONT = "Inter, 'Segoe UI', 'Helvetica Neue', Arial, sans-serif"
# Text on white: INK 17.7:1, INK_SOFT 7.6:1 (WCAG AAA asks 7:1), so a chart reads from the back of a room.
INK, INK_SOFT = "#111827", "#4B5563"
MIN_TEXT_PX = 16

pio.templates["cx"] = go.layout.Template(
    layout=dict(
        font=dict(family=FONT, size=MIN_TEXT_PX, color=INK),
        title=dict(font=dict(size=20, color=INK), x=0, xanchor="left"),
        colorway=PALETTE,
        paper_bgcolor="white",
        plot_bgcolor="white",
        xaxis=dict(
            showgrid=False, linecolor="#9CA3AF", ticks="outside", tickcolor="#9CA3AF", automargin=True,
            tickfont=dict(size=MIN_TEXT_PX, color=INK), title=dict(font=dict(size=17, color=INK)),
        ),
        yaxis=dict(
            gridcolor="#E5E7EB", zeroline=False, automargin=True,
            tickfont=dict(size=MIN_TEXT_PX, color=INK), title=dict(font=dict(size=17, color=INK)),
        ),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0, title_text="",
                    font=dict(size=MIN_TEXT_PX, color=INK)),
        margin=dict(l=10, r=10, t=40, b=10),
        hoverlabel=dict(font_size=MIN_TEXT_PX),
        annotationdefaults=dict(font=dict(size=MIN_TEXT_PX, color=INK)),
    )
)  # fmt: skip
TEMPLATE = "cx"


def _luminance(hex_colour: str) -> float:
    """WCAG relative luminance of '#RRGGBB'."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_on_white(hex_colour: str) -> float:
    return 1.05 / (_luminance(hex_colour) + 0.05)


def _legible(colour):
    """Text colours too pale to read on white (below 7:1) become INK_SOFT; anything else is kept."""
    if isinstance(colour, list | tuple):
        return [_legible(c) for c in colour]
    if isinstance(colour, str) and len(colour) == 7 and colour.startswith("#"):
        return colour if contrast_on_white(colour) >= 7 else INK_SOFT
    return colour


def readable(figure: go.Figure, scale: float = 1.0) -> go.Figure:
    """The figure as every screen, PNG and PDF shows it: our template, no text below 16 px
    (times `scale`; present mode uses 1.5), no pale text, and lines named at their ends instead of a legend.

    Applied once where a chart is drawn or exported, so every chart function, including new ones,
    gets the same treatment without styling itself.
    """
    figure = go.Figure(figure)
    # No drag-to-zoom by default: on a phone a drag that starts on a chart must scroll the page. Clicks and
    # hovers still work; zoom and pan stay one click away in the chart's toolbar.
    figure.update_layout(dragmode=False)
    if not figure.layout.template or not figure.layout.template.layout.font.family:
        figure.update_layout(template=TEMPLATE)
    minimum = MIN_TEXT_PX * scale

    def bigger(size):
        if isinstance(size, list | tuple):
            return [bigger(s) for s in size]
        return max(size or MIN_TEXT_PX, MIN_TEXT_PX) * scale

    for trace in figure.data:
        if "textfont" in trace:
            trace.textfont.size = bigger(trace.textfont.size)
            if trace.textfont.color is not None:
                trace.textfont.color = _legible(trace.textfont.color)
    for annotation in figure.layout.annotations:
        annotation.font.size = bigger(annotation.font.size)
        annotation.font.color = _legible(annotation.font.color) if annotation.font.color else INK
    figure.update_layout(
        font_size=minimum,
        hoverlabel_font_size=minimum,
        legend_font_size=minimum,
        title_font_size=20 * scale,
    )
    for axis in ("xaxis", "yaxis"):
        figure.update_layout({axis: dict(tickfont_size=minimum, title_font_size=17 * scale)})
    figure.update_traces(colorbar=dict(tickfont_size=minimum, title_font_size=minimum), selector=dict(type="heatmap"))
    if figure.layout.height and scale != 1:
        figure.update_layout(height=int(figure.layout.height * (1 + (scale - 1) / 2)))
    _label_lines(figure, minimum)
    return figure


def spread(positions: list[float], gap: float) -> list[float]:
    """Ascending label positions (px) pushed up so that each sits at least `gap` above the one below."""
    placed: list[float] = []
    for wanted in positions:
        placed.append(max(wanted, placed[-1] + gap) if placed else wanted)
    return placed


def _label_lines(figure: go.Figure, size: float, most: int = 8) -> None:
    """Name each line at its last point, in dark text beside a swatch of its colour, instead of a legend
    the eye has to travel to. Labels are nudged apart so that close lines do not print over each other."""
    lines = [t for t in figure.data if t.type == "scatter" and t.mode and "lines" in t.mode and t.showlegend is not False
             and t.name and t.fill is None]  # fmt: skip
    if len(lines) < 2 or len(lines) > most or figure.layout.showlegend is False:
        return
    ends = []
    for trace in lines:
        points = [(x, y) for x, y in zip(trace.x, trace.y, strict=False) if y is not None and y == y]
        if points:
            colour = trace.line.color if isinstance(trace.line.color, str) else PALETTE[len(ends) % len(PALETTE)]
            ends.append((points[-1][0], float(points[-1][1]), str(trace.name), colour))
    if not ends:
        return
    values = [float(y) for t in figure.data if t.y is not None for y in t.y if y is not None and y == y]
    low, high = min(values), max(values)
    height = figure.layout.height or 450
    plot_px = max(height - 120, 100)
    per_unit = plot_px / ((high - low) * 1.1 or 1.0)
    ordered = sorted(ends, key=lambda e: e[1])
    wanted = [(y - low) * per_unit for _, y, _, _ in ordered]
    shifts = {e[2]: p - w for e, p, w in zip(ordered, spread(wanted, size * 1.25), wanted, strict=True)}
    for x, y, name, colour in ends:
        figure.add_annotation(
            x=x, y=y, text=f'<span style="color:{colour}">■</span> {html.escape(name, quote=False)}', showarrow=False,
            xanchor="left", xshift=8, yshift=shifts[name], font=dict(size=size, color=INK),
        )  # fmt: skip
    longest = max(len(e[2]) for e in ends)
    figure.update_layout(showlegend=False, margin_r=max(figure.layout.margin.r or 0, int(size * 0.62 * longest + 40)))


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _interval_hover(value_format: str) -> str:
    """Hover lines for a point whose customdata is [n, ci_low, ci_high]."""
    return (
        f"<br>95% interval %{{customdata[1]:{value_format}}} – %{{customdata[2]:{value_format}}}"
        "<br>n = %{customdata[0]:,}<extra></extra>"
    )


def _value_format(metric: Metric) -> str:
    return {"%": ".1f", "pts": ".1f", "score": ".2f", "s": ",.0f", "$": ",.0f"}[metric.unit]


STATUS_NOTE = {"so far": "so far", "partial": "partial period", "small": "n too small", "no data": "no data"}
WEEK_MS = 7 * 24 * 3600 * 1000
A_MONDAY = "2024-01-01"  # weeks start on Monday: ticks are laid from one


def _time_axis(periods: pd.Series, grain: str) -> dict:
    """Ticks on period starts: Mondays for weeks, 'Q4 2026' for quarters."""
    starts = sorted(pd.to_datetime(periods.dropna().unique()))
    if grain == "week":
        step = max(1, -(-len(starts) // 10))  # at most ~10 labels
        return dict(tick0=A_MONDAY, dtick=WEEK_MS * step, tickformat="%-d %b<br>%Y" if step > 4 else "%-d %b")
    if grain == "quarter":
        return dict(tickmode="array", tickvals=starts, ticktext=[narrative.period_label(p, "quarter") for p in starts])
    if grain == "month":
        step = max(1, -(-len(starts) // 12))
        return dict(dtick=f"M{step}", tickformat="%b %Y", tick0=starts[0] if starts else None)
    return {}


# Hover lines are plain text in customdata (cx.app.safe escapes data texts for Plotly); the markup is
# only in the template.
POINT_HOVER = "<b>%{customdata[0]}</b><br>%{customdata[1]}<br>%{customdata[2]}<br>%{customdata[3]}<extra></extra>"


def _point_hover(row, group: str, metric: Metric, unit: units.Unit, grain: str, split: bool) -> list[str]:
    """One trend point's hover lines: who and when, value and interval, n, what the tests say about it."""
    title = (f"{group} · " if split else "") + narrative.period_label(row.period, grain)
    status = getattr(row, "status", "complete")
    if status in STATUS_NOTE:
        title += f" ({STATUS_NOTE[status]})"
    value = f"{units.label(metric, grain=grain)} {units.value(metric, row.value, unit)}"
    interval = units.interval(metric, row.ci_low, row.ci_high, unit)
    if interval:
        value += f" (95% interval {interval})"
    marks = []
    if getattr(row, "prev_significant", False):
        side = "above" if row.prev_difference > 0 else "below"
        marks.append(f"{'▲' if side == 'above' else '▼'} significantly {side} {narrative.previous_name(grain)}")
    if getattr(row, "recent_significant", False):
        side = "above" if row.recent_difference > 0 else "below"
        marks.append(f"◯ significantly {side} the recent level ({units.value(metric, row.recent_level, unit)})")
    return [title, value, f"n = {units.count(row.n)}", "; ".join(marks)]


def _tone_colour(metric: Metric, difference: float) -> str:
    return GOOD if (difference > 0) == metric.higher_is_better else BAD


def trend(
    frame: pd.DataFrame, metric: Metric, grain: str = "month", annotations: pd.DataFrame | None = None
) -> go.Figure:
    """One line per group with its 95% band, in one unit for axis and hover.

    Periods the data covers only in part, or with n below the minimum, are hollow and joined by a
    dashed line ("so far" on the current one). A triangle marks a significant change on the period
    before, a ring a significant difference from the series' recent level (cx.analysis.trends).
    Annotations (a day and a label) are drawn as dotted vertical lines.
    """
    figure = go.Figure()
    unit = units.unit_for(metric, frame["value"] if len(frame) else None)
    split = frame["group"].nunique() > 1
    if "status" not in frame:
        frame = frame.assign(status=["small" if s else "complete" for s in frame["small"].astype(bool)])
    for index, (group, rows) in enumerate(frame.groupby("group", sort=False)):
        colour = NEUTRAL if group == REST else PALETTE[index % len(PALETTE)]
        rows = rows.sort_values("period").assign(
            y=units.convert(metric, rows["value"], unit),
            low=units.convert(metric, rows["ci_low"], unit),
            high=units.convert(metric, rows["ci_high"], unit),
        )
        band = rows.dropna(subset=["low", "high"])
        if len(band):
            figure.add_trace(
                go.Scatter(
                    x=list(band.period) + list(band.period[::-1]),
                    y=list(band.high) + list(band.low[::-1]),
                    mode="lines",  # lines only: markers would leave dots at the band's corners
                    fill="toself",
                    fillcolor=_rgba(colour, 0.13),
                    line=dict(width=0),
                    hoverinfo="skip",
                    showlegend=False,
                    legendgroup=str(group),
                    name=f"{group} 95% interval",
                )
            )
        complete = rows["status"] == "complete"
        if (~complete).any():  # dashed through every point, under the solid line of the complete ones
            figure.add_trace(
                go.Scatter(
                    x=rows.period, y=rows.y, mode="lines", line=dict(color=colour, width=2, dash="dash"),
                    hoverinfo="skip", showlegend=False, legendgroup=str(group), connectgaps=True,
                )
            )  # fmt: skip
        figure.add_trace(
            go.Scatter(
                x=rows.period,
                y=rows.y.where(complete),
                mode="lines+markers",
                name=str(group),
                legendgroup=str(group),
                showlegend=split,
                connectgaps=False,
                line=dict(color=colour, width=3),
                marker=dict(size=8, color=colour),
                hoverinfo="skip",
            )
        )
        hollow = rows[~complete]
        figure.add_trace(  # every point, hoverable; incomplete ones hollow
            go.Scatter(
                x=rows.period,
                y=rows.y,
                mode="markers",
                showlegend=False,
                legendgroup=str(group),
                marker=dict(
                    size=[8 if c else 10 for c in complete],
                    color=[colour if c else "white" for c in complete],
                    symbol="circle",
                    line=dict(color=[colour if s != "small" else MUTED for s in rows["status"]], width=2),
                ),
                customdata=[_point_hover(r, group, metric, unit, grain, split) for r in rows.itertuples()],
                hovertemplate=POINT_HOVER,
            )
        )
        so_far = hollow[hollow["status"] == "so far"]
        for row in so_far.itertuples():
            figure.add_annotation(
                x=row.period, y=row.y, text="so far", showarrow=False, yshift=18, font=dict(color=NEUTRAL, size=14)
            )
        _significance_marks(figure, rows, metric, str(group))
    x_range = None
    if annotations is not None and len(annotations) and len(frame):
        # The axis stays on the data's periods (a note's line or label must not stretch it into empty months).
        first, last = pd.to_datetime(frame["period"]).min(), pd.to_datetime(frame["period"]).max()
        end = pd.to_datetime(frame["period_end"]).max() if "period_end" in frame else last
        pad = max((last - first) * 0.04, pd.Timedelta(days=1))
        days = [pd.Timestamp(d) for d in annotations["day"] if first - pad <= pd.Timestamp(d) <= end]
        x_range = [first - pad, max([last, *days]) + pad]
        for note in annotations.itertuples():
            day = pd.Timestamp(note.day)
            if day not in days:
                continue
            figure.add_vline(x=day.timestamp() * 1000, line=dict(color="#374151", dash="dot", width=1.5))
            right_side = day > first + (last - first) * 0.66  # the label reads towards the chart, not off it
            figure.add_annotation(
                x=day, y=1, yref="paper", yanchor="bottom", showarrow=False, xanchor="right" if right_side else "left",
                text=html.escape(str(note.label)[:40]), font=dict(size=14, color="#374151"),
            )  # fmt: skip
    figure.update_layout(
        template=TEMPLATE,
        height=480,
        hovermode="closest",
        yaxis_title=units.axis_title(metric, unit, grain=grain),
        yaxis=dict(tickformat=",", ticksuffix="%" if metric.unit == "%" else ""),
        xaxis=_time_axis(frame["period"], grain) | ({"range": x_range} if x_range else {}),
        showlegend=split,
        # Below the chart, if one is drawn at all: the toolbar sits at the top right and would cover it there.
        legend=dict(orientation="h", yanchor="top", y=-0.14, xanchor="left", x=0, title_text=""),
        margin=dict(l=10, r=10, t=40, b=10),
    )
    return figure


def _significance_marks(figure: go.Figure, rows: pd.DataFrame, metric: Metric, group: str) -> None:
    if "prev_significant" in rows:
        moved = rows[rows["prev_significant"].astype(bool)]
        if len(moved):
            figure.add_trace(
                go.Scatter(
                    x=moved.period, y=moved.y, mode="markers", showlegend=False, legendgroup=group, hoverinfo="skip",
                    marker=dict(
                        size=15, color=[_tone_colour(metric, d) for d in moved["prev_difference"]],
                        symbol=["triangle-up" if d > 0 else "triangle-down" for d in moved["prev_difference"]],
                        line=dict(color="white", width=1),
                    ),
                )
            )  # fmt: skip
    if "recent_significant" in rows:
        off = rows[rows["recent_significant"].astype(bool)]
        if len(off):
            figure.add_trace(
                go.Scatter(
                    x=off.period, y=off.y, mode="markers", showlegend=False, legendgroup=group, hoverinfo="skip",
                    marker=dict(
                        size=26, color="rgba(0,0,0,0)", symbol="circle",
                        line=dict(color=[_tone_colour(metric, d) for d in off["recent_difference"]], width=3),
                    ),
                )
            )  # fmt: skip


def trend_key(frame: pd.DataFrame, grain: str) -> str:
    """What the marks on a trend chart mean, for the caption under it (only the marks it shows)."""
    keys = []
    if "prev_significant" in frame and frame["prev_significant"].astype(bool).any():
        keys.append(f"▲▼ significant change on {narrative.previous_name(grain)}")
    if "recent_significant" in frame and frame["recent_significant"].astype(bool).any():
        keys.append("◯ significantly off the recent level")
    if "status" in frame and (frame["status"] != "complete").any():
        keys.append("hollow points on a dashed line: a period covered only in part (“so far”) or with n too small")
    return " · ".join(keys)


def cohort_heatmap(frame: pd.DataFrame) -> go.Figure:
    """Signup-month cohorts (rows) × months since signup (columns), % still active.

    A cell the cohort has not reached yet is blank, not "NaN"; the colour scale runs over the data's
    own range in one hue (no alarm colour: lower retention is simply paler), so 92% never looks red.
    """
    grid = frame.pivot(index="cohort", columns="age", values="retention").sort_index(ascending=False)
    sizes = frame.pivot(index="cohort", columns="age", values="customers").reindex(grid.index)
    labels = [pd.Timestamp(c).strftime("%b %Y") for c in grid.index]
    low, high = float(frame["retention"].min()), float(frame["retention"].max())
    if high - low < 1:  # an almost flat matrix: a scale of one point would exaggerate noise
        low = max(0.0, high - 1)
    text = [["" if pd.isna(v) else f"{v:.0f}" for v in row] for row in grid.to_numpy()]
    figure = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(),
            x=[str(a) for a in grid.columns],
            y=labels,
            customdata=sizes.to_numpy(),
            colorscale=[[0, "#F2F7FB"], [1, "#5B9BD5"]],  # dark text stays readable on both ends
            zmin=low,
            zmax=high,
            text=text,
            texttemplate="%{text}",
            textfont=dict(color=INK),
            hoverongaps=False,
            hovertemplate="Cohort %{y}, month %{x}: %{z:.1f}% still active<br>cohort size %{customdata:,}<extra></extra>",
            colorbar=dict(title="% active", ticksuffix="%"),
        )
    )
    figure.update_layout(
        template=TEMPLATE,
        height=max(320, 26 * len(labels) + 120),
        xaxis_title="Months since signup",
        yaxis_title="Signup month",
    )
    return figure


# --- journey and segments -------------------------------------------------------------------------


def _flag_colour(flag: str | None, small: bool, base: str = NEUTRAL) -> str:
    """Blue/vermillion only for a significant difference; grey for small samples."""
    if small:
        return MUTED
    return {"better": GOOD, "worse": BAD}.get(flag or "", base)


def ranked_bars(
    frame: pd.DataFrame,
    *,
    label: str,
    value_label: str,
    value_format: str = ".1f",
    suffix: str = "",
    flag: str | None = "direction",
    sort: bool = True,
    higher_is_better: bool = True,
    reference: float | None = None,
    reference_label: str = "all",
    highlight: set[str] | None = None,
) -> go.Figure:
    """Horizontal bars with 95% whiskers and n, best at the top; significant differences coloured.

    Expects columns `label`, value, n, ci_low, ci_high, small and optionally a flag column holding
    "better"/"worse"/None. Rows with too small a sample are grey and say "n too small". Bars named in
    `highlight` (a drill-down's chosen item) are outlined, the others stay as they are: never faded.
    """
    rows = frame[frame["value"].notna()].copy()
    if sort:
        rows = rows.assign(_small=rows["small"].astype(bool)).sort_values(
            ["_small", "value"], ascending=[False, higher_is_better]
        )
    else:
        rows = rows.iloc[::-1]  # plotly draws the first category at the bottom
    small = rows["small"].astype(bool).tolist()
    flags = rows[flag].tolist() if flag and flag in rows else [None] * len(rows)
    colours = [_flag_colour(f if isinstance(f, str) else None, s, PALETTE[0] if not flag else NEUTRAL)
               for f, s in zip(flags, small, strict=True)]  # fmt: skip
    low = (rows["value"] - rows["ci_low"]).clip(lower=0).fillna(0)
    high = (rows["ci_high"] - rows["value"]).clip(lower=0).fillna(0)
    text = [
        "n too small" if s else f"{v:{value_format}}{suffix} · n = {int(n):,}"
        for v, n, s in zip(rows["value"], rows["n"], small, strict=True)
    ]
    figure = go.Figure(
        go.Bar(
            x=rows["value"],
            y=rows[label].astype(str),
            orientation="h",
            marker=dict(
                color=colours,
                line=dict(color=INK, width=[3 if highlight and str(v) in highlight else 0 for v in rows[label]]),
            ),
            error_x=dict(type="data", array=high, arrayminus=low, color="#4B5563", thickness=1.5, width=4),
            customdata=rows[["n", "ci_low", "ci_high"]].to_numpy(),
            hovertemplate=(
                f"<b>%{{y}}</b><br>{value_label} %{{x:{value_format}}}{suffix}" + _interval_hover(value_format)
            ),
        )
    )
    # The value and n go right of the whisker, where the error bar cannot overprint them.
    figure.add_trace(
        go.Scatter(
            x=rows["value"] + high,
            y=rows[label].astype(str),
            mode="text",
            text=[f"  {t}" for t in text],
            textposition="middle right",
            textfont=dict(color=["#6B7280" if s else "#1F2937" for s in small], size=14),
            hoverinfo="skip",
            cliponaxis=False,
        )
    )
    if reference is not None:
        figure.add_vline(x=reference, line=dict(color=NEUTRAL, dash="dot", width=1.5))
        figure.add_annotation(
            x=reference, y=1, yref="paper", text=f"{reference_label} {reference:{value_format}}{suffix}",
            showarrow=False, yanchor="bottom", font=dict(color=NEUTRAL, size=13),
        )  # fmt: skip
    figure.update_layout(
        template=TEMPLATE,
        height=max(260, 46 * len(rows) + 90),
        xaxis_title=value_label,
        yaxis=dict(showgrid=False, automargin=True),
        xaxis=dict(showgrid=True, gridcolor="#E5E7EB", rangemode="tozero" if rows["value"].min() >= 0 else "normal"),
        showlegend=False,
        margin=dict(l=10, r=140, t=40, b=10),
    )
    return figure


def metric_bars(
    frame: pd.DataFrame,
    metric: Metric,
    *,
    label: str = "group",
    days: int | None = None,
    highlight: set[str] | None = None,
    reference: float | None = None,
    reference_label: str = "all",
    flag: str | None = "direction",
    worst_first: bool = False,
) -> go.Figure:
    """ranked_bars for one metric, in the metric's one unit (durations in minutes or hours, not seconds).

    Best at the top, or the worst at the top for a list of pain points (`worst_first`)."""
    unit = units.unit_for(metric, frame["value"] if len(frame) else None)
    shown = frame.assign(
        **{c: units.convert(metric, frame[c], unit) for c in ("value", "ci_low", "ci_high") if c in frame}
    )
    if reference is not None and metric.unit == "s":
        reference = reference / unit.factor
    return ranked_bars(
        shown, label=label, value_label=units.axis_title(metric, unit, days), value_format=units.plotly_format(metric, unit),
        suffix=units.suffix(metric, unit), higher_is_better=metric.higher_is_better != worst_first, reference=reference,
        reference_label=reference_label, highlight=highlight, flag=flag,
    )  # fmt: skip


def _weighted_mean(rows: pd.DataFrame) -> float:
    """The metric over all answers of the touchpoints with enough of them (the level a point is read against)."""
    usable = rows[~rows["small"].astype(bool)]
    return float((usable["value"] * usable["n"]).sum() / usable["n"].sum()) if len(usable) else float("nan")


def volume_satisfaction(frame: pd.DataFrame, metric: Metric) -> go.Figure:
    """Touchpoints by volume (x) and the metric (y): busy and poorly rated ones fall bottom-right.

    A touchpoint that got significantly worse is vermillion; small samples grey and hollow. Dotted
    lines at the median volume and the answer-weighted level split the quadrants.
    """
    rows = frame[frame["value"].notna() & (frame["volume"] > 0)]
    small = rows["small"].astype(bool)
    worse = rows["direction"] == "worse"
    colours = [MUTED if s else BAD if w else PALETTE[0] for s, w in zip(small, worse, strict=True)]
    level = _weighted_mean(rows)
    below = (rows["value"] < level) if metric.higher_is_better else (rows["value"] > level)
    unit = units.unit_for(metric, rows["value"])
    figure = go.Figure(
        go.Scatter(
            x=rows["volume"],
            y=units.convert(metric, rows["value"], unit),
            mode="markers+text",
            # Name only the touchpoints on the wrong side of the level: the pain points; hover tells the rest.
            text=[str(t) if (b or w) and not s else "" for t, b, w, s in zip(rows["touchpoint"], below, worse, small, strict=True)],
            textposition="top center",
            textfont=dict(size=14),
            marker=dict(
                size=16, color=colours, symbol=["circle-open" if s else "circle" for s in small],
                line=dict(width=2, color=colours),
            ),
            customdata=[
                [str(r.touchpoint) + (f" ({r.journey_stage})" if r.journey_stage else ""),
                 f"{units.count(r.volume)} interactions",
                 f"{metric.label} {units.value(metric, r.value, unit)}"
                 + (f", change {units.change(metric, r.change, unit)}" if pd.notna(r.change) else ""),
                 f"n = {units.count(r.n)}", str(r.touchpoint)]
                for r in rows.itertuples()
            ],  # a click names the touchpoint: customdata[4]
            hovertemplate=POINT_HOVER,
        )
    )  # fmt: skip
    if (~small).any():
        figure.add_vline(x=float(rows["volume"].median()), line=dict(color=NEUTRAL, dash="dot", width=1))
        figure.add_hline(
            y=level / (unit.factor if metric.unit == "s" else 1), line=dict(color=NEUTRAL, dash="dot", width=1)
        )
    spread_out = len(rows) and rows["volume"].max() > 20 * max(rows["volume"].min(), 1)
    figure.update_layout(
        template=TEMPLATE,
        height=480,
        xaxis_title="Interactions in the period",
        yaxis_title=units.axis_title(metric, unit),
        showlegend=False,
        xaxis=dict(
            type="log" if spread_out else "linear", tickformat=",", rangemode="tozero" if not spread_out else None
        ),
        yaxis=dict(tickformat=","),
    )
    return figure


def heatmap(frame: pd.DataFrame, metric_labels: dict[str, str]) -> go.Figure:
    """Segment × metric: the value in each cell; blue/vermillion only where the segment differs
    significantly from the rest (better/worse), pale where it does not, grey where n is too small."""
    groups = list(dict.fromkeys(frame["group"]))
    keys = list(dict.fromkeys(frame["metric"]))
    score = {"better": 1.0, "worse": -1.0}
    z, text, hover = [], [], []
    for group in groups:
        z_row, text_row, hover_row = [], [], []
        for key in keys:
            cell = frame[(frame["group"] == group) & (frame["metric"] == key)]
            if cell.empty:
                z_row.append(None)
                text_row.append("–")
                hover_row.append("no data")
                continue
            c = cell.iloc[0]
            small = bool(c["small"]) or pd.isna(c["value"])
            direction = c["direction"] if isinstance(c["direction"], str) else None
            z_row.append(2.0 if small else score.get(direction, 0.0))
            text_row.append(c["text"])
            hover_row.append(
                f"n = {int(c['n']):,}" + (f" · {direction} than the rest (significant)" if direction else "")
            )
        z.append(z_row)
        text.append(text_row)
        hover.append(hover_row)
    # Discrete scale: -1 worse, 0 no significant difference, 1 better, 2 too small.
    colourscale = [
        [0.0, BAD], [0.25, BAD], [0.25, "#F3F4F6"], [0.5, "#F3F4F6"],
        [0.5, GOOD], [0.75, GOOD], [0.75, "#E5E7EB"], [1.0, "#E5E7EB"],
    ]  # fmt: skip
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=[metric_labels.get(k, k) for k in keys],
            y=groups,
            text=text,
            customdata=hover,
            texttemplate="%{text}",
            textfont=dict(size=16),
            zmin=-1.5,
            zmax=2.5,
            colorscale=colourscale,
            showscale=False,
            xgap=3,
            ygap=3,
            hovertemplate="<b>%{y}</b> · %{x}<br>%{text}<br>%{customdata}<extra></extra>",
        )
    )
    figure.update_layout(
        template=TEMPLATE,
        height=max(240, 56 * len(groups) + 90),
        xaxis=dict(side="top", showline=False, ticks=""),
        yaxis=dict(autorange="reversed", showgrid=False),
    )
    return figure


def funnel(frame: pd.DataFrame, highlight: str | None = None) -> go.Figure:
    """Customers reaching each journey stage; one funnel per group when the flow is split.

    A chosen stage (`highlight`) is outlined in dark ink; the other stages keep their colour and
    white text, so nothing fades to unreadable.
    """
    figure = go.Figure()
    groups = list(dict.fromkeys(frame["group"]))
    for index, group in enumerate(groups):
        rows = frame[frame["group"] == group]
        chosen = [highlight is not None and s == highlight for s in rows["journey_stage"]]
        figure.add_trace(
            go.Funnel(
                name=str(group),
                y=rows["journey_stage"].str.capitalize(),
                x=rows["reached"],
                # Share of the group's most-reached stage: data may record purchase more often than awareness.
                text=[f"{r:,} · {p:.0f}%" for r, p in zip(rows["reached"], rows["share_of_top"], strict=True)],
                textinfo="text",
                textfont=dict(color="white"),
                marker=dict(
                    color=PALETTE[index % len(PALETTE)], line=dict(color=INK, width=[4 if c else 0 for c in chosen])
                ),
                customdata=rows[["stopped", "stopped_share"]].to_numpy(),
                hovertemplate=(
                    "<b>%{y}</b><br>%{x:,} customers reached it<br>%{customdata[0]:,} went no further "
                    "(%{customdata[1]:.0f}%)<extra>%{fullData.name}</extra>"
                ),
            )
        )
    figure.update_layout(
        template=TEMPLATE, height=420, showlegend=len(groups) > 1, funnelmode="group", xaxis=dict(tickformat=",")
    )
    return figure


def channel_dots(frame: pd.DataFrame) -> go.Figure:
    """CSAT of each touchpoint by channel: a dot per channel on the touchpoint's row.

    A channel significantly worse than the touchpoint's other channels is a vermillion diamond.
    """
    figure = go.Figure()
    channels = list(dict.fromkeys(frame["channel"]))
    colours = [c for c in PALETTE if c != BAD]  # vermillion is kept for "significantly worse"
    for index, channel in enumerate(channels):
        rows = frame[frame["channel"] == channel]
        colour = colours[index % len(colours)]
        worse = rows["worse"].astype(bool)
        small = rows["small"].astype(bool)
        figure.add_trace(
            go.Scatter(
                x=rows["csat"],
                y=rows["touchpoint"],
                mode="markers",
                name=str(channel),
                marker=dict(
                    size=[18 if w else 13 for w in worse],
                    color=[BAD if w else MUTED if s else colour for w, s in zip(worse, small, strict=True)],
                    symbol=[
                        "diamond" if w else "circle-open" if s else "circle" for w, s in zip(worse, small, strict=True)
                    ],
                    line=dict(width=2, color=[BAD if w else colour for w in worse]),
                ),
                customdata=rows[["n", "other_channels_csat", "channel"]].to_numpy(),
                hovertemplate=(
                    "<b>%{y}</b> · %{customdata[2]}<br>CSAT %{x:.1f}% (n = %{customdata[0]:,})"
                    "<br>other channels %{customdata[1]:.1f}%<extra></extra>"
                ),
            )
        )
    figure.update_layout(
        template=TEMPLATE,
        height=max(280, 34 * frame["touchpoint"].nunique() + 110),
        xaxis_title="CSAT (%)",
        yaxis=dict(showgrid=True, gridcolor="#F3F4F6", automargin=True, categoryorder="category descending"),
    )
    return figure
