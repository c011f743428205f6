"""The one CSV writer behind every download and export.

A CSV opened in Excel, LibreOffice or Google Sheets runs any cell that starts
with `=`, `+`, `-`, `@`, a tab or a carriage return as a formula ("CSV
injection"): a customer who writes `=HYPERLINK("http://evil", "click")` as a
comment would otherwise plant a link, or worse, in the report a leader opens.
Every text cell that starts like that gets a leading apostrophe, which
spreadsheets show as plain text (OWASP's advice); numbers and dates are left
as they are, so a negative number stays a number.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from html import escape
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from cx.analysis import units
from cx.analysis.metrics import Metric
from cx.charts import INK, INK_SOFT, readable
from cx.reports import images

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula, made inert; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text cell (and column name) neutralised; the input is left alone."""
    safe = frame.copy()
    for column in safe.columns:
        if not (pd.api.types.is_numeric_dtype(safe[column]) or pd.api.types.is_datetime64_any_dtype(safe[column])):
            safe[column] = safe[column].map(neutralise, na_action="ignore")
    return safe.rename(columns=lambda name: neutralise(str(name)))


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The frame as UTF-8 CSV (with a byte-order mark, so Excel reads accents right), formulas neutralised."""
    return safe_frame(frame).to_csv(index=False).encode("utf-8-sig")


def write_csv(frame: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write the frame to `path` as csv_bytes() does; returns the path."""
    target = Path(path)
    target.write_bytes(csv_bytes(frame))
    return target


# --- exports that stand on their own: what the numbers are, for which period and filters ------------------


@dataclass(frozen=True)
class ExportContext:
    """What a chart or table shows, printed on every PNG and at the top of every CSV."""

    title: str  # the finding or what is shown: "NPS by segment"
    period: str  # "01 Sep 2026 – 30 Nov 2026"
    filters: str  # "Segment: SMB · Region: Europe" or "All customers"
    n: str | None = None  # "n = 4,893 responses"
    data_as_of: str | None = None  # "data imported up to 01 Dec 2026 09:30 (frozen snapshot)"
    definitions: tuple[str, ...] = ()
    units: str | None = None

    def lines(self) -> list[tuple[str, str]]:
        rows = [("Shows", self.title), ("Period", self.period), ("Filters", self.filters)]
        rows += [("Sample", self.n)] if self.n else []
        rows += [("Data", self.data_as_of)] if self.data_as_of else []
        rows += [("Units", self.units)] if self.units else []
        rows += [("Definition", d) for d in self.definitions]
        return rows


UNIT_WORDS = {"pts": "points", "%": "%", "score": "score", "s": "min", "$": "$"}
DROPPED = {"stage_order", "basis", "_small"}


def sample_size(frame: pd.DataFrame, counted: str = "") -> str | None:
    """'n = 4,893 responses': the sum over rows that partition the data, or the range per row when a frame
    holds several metrics (each with its own n)."""
    for column in ("n", "csat_n", "customers", "reached"):
        if column in frame and pd.api.types.is_numeric_dtype(frame[column]) and len(frame):
            values = frame[column].dropna()
            if "metric" in frame and frame["metric"].nunique() > 1:
                return f"n = {int(values.min()):,}–{int(values.max()):,} per cell"
            if column == "reached":
                return f"n = {int(values.max()):,} customers"
            word = counted or ("customers" if column == "customers" else "")
            return f"n = {int(values.sum()):,} {word}".strip()
    return None


def human_table(frame: pd.DataFrame, metric: Metric | None = None, *, grain: str | None = None) -> pd.DataFrame:
    """A frame as people read it: internal columns gone, the metric's figures in the unit its chart uses
    (cx.analysis.units: minutes or hours for durations), other durations in minutes, values rounded, and
    the unit in every column's name ("NPS (points)", "… 95% low", "n (responses)")."""
    unit = units.unit_for(metric, frame["value"]) if metric is not None and "value" in frame else None
    title = _with_unit(units.column(metric, unit, grain=grain), unit) if unit else None
    shown_decimals = 1 if unit is None or unit.decimals is None else unit.decimals
    if unit is not None and unit.name == "percent":
        shown_decimals = max(shown_decimals, 1)  # a share reads to a tenth of a point
    counted = metric.counted if metric is not None else ""
    out = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        name = str(column)
        if name in DROPPED or name.startswith("_"):
            continue
        values = frame[column]
        if _is_bool(values):
            out[_title(name, {"small": "n too small", "csat_small": "CSAT n too small"})] = values.map(
                lambda v: "" if pd.isna(v) else "yes" if v else "no"
            )
        elif pd.api.types.is_datetime64_any_dtype(values):
            out["Period starting" if name == "period" else _title(name)] = values.dt.strftime("%Y-%m-%d")
        elif not pd.api.types.is_numeric_dtype(values):
            out[_title(name)] = values
        elif title and name in ("value", "ci_low", "ci_high", "p90"):
            shown = units.convert(metric, values, unit).round(shown_decimals)
            suffix = {"value": "", "ci_low": " 95% low", "ci_high": " 95% high", "p90": " 90th percentile"}[name]
            out[title + suffix] = shown.astype("Int64") if shown_decimals == 0 else shown
        elif name.endswith("_s"):
            out[_title(name.removesuffix("_s"), _NAMES) + " (min)"] = (values / 60).round(1)
        elif name in (
            "n",
            "csat_n",
            "customers",
            "churned",
            "promoters",
            "passives",
            "detractors",
            "volume",
            "reached",
        ):
            out[_title(name, _NAMES) + (f" ({counted})" if name == "n" and counted else "")] = values.astype("Int64")
        elif name.endswith(("p_value", "q_value")):
            out[_title(name, _NAMES)] = values.round(4)
        elif name.endswith(("share", "csat", "retention", "rate", "_pct")) or name == "share_of_top":
            out[_title(name, _NAMES) + " (%)"] = values.round(1)
        elif name.endswith("change"):
            out[_title(name, _NAMES) + " (points)"] = values.round(1)
        else:
            out[_title(name, _NAMES)] = values.round(max(shown_decimals, 1))
    return out.reset_index(drop=True)


def _is_bool(values: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(values):
        return True
    present = values.dropna()
    return values.dtype == object and len(present) > 0 and present.map(type).eq(bool).all()


def _with_unit(title: str, unit) -> str:
    """'NPS' → 'NPS (points)'; a title that already names its unit stays as it is."""
    return title if "(" in title or not unit.name else f"{title} ({unit.name})"


_NAMES = {
    "n": "n",
    "margin_of_error": "Margin of error",
    "p90": "90th percentile",
    "csat_n": "CSAT n",
    "csat_p_value": "CSAT change p-value",
    "csat_q_value": "CSAT change q-value (Benjamini–Hochberg)",
    "response_median": "First response median",
    "resolution_median": "Resolution median",
}


def _title(name: str, names: dict[str, str] | None = None) -> str:
    known = (names or {}).get(name)
    if known:
        return known
    text = name.removeprefix("attr.").replace("_", " ")
    return text[:1].upper() + text[1:]


def labelled_csv(frame: pd.DataFrame, context: ExportContext) -> bytes:
    """The table as CSV under a header block (what, period, filters, n, units, definitions), one blank line
    between them, so the file explains itself when opened alone; every cell neutralised."""
    block = pd.DataFrame(context.lines(), columns=["About", "Value"])
    # CRLF line ends (as Excel writes them) make the writer quote any cell holding a CR or LF of its own.
    head = safe_frame(block).to_csv(index=False, header=False, lineterminator="\r\n")
    return (head + "\r\n" + safe_frame(frame).to_csv(index=False, lineterminator="\r\n")).encode("utf-8-sig")


def stamped(figure: go.Figure, context: ExportContext) -> go.Figure:
    """The figure with its title, period, filters and n printed on it, for a PNG that stands alone."""
    shown = readable(figure)
    subtitle = f"{context.period} · {context.filters}" + (f" · {context.n}" if context.n else "")
    footer = "95% intervals shown as bands or whiskers" + (f" · {context.data_as_of}" if context.data_as_of else "")
    top = 110 + (shown.layout.margin.t or 0)
    shown.update_layout(
        title=dict(text=f"<b>{escape(context.title)}</b><br><span style='font-size:16px'>{escape(subtitle)}</span>",
                   x=0.01, xanchor="left", yref="container", y=1, yanchor="top", pad=dict(t=18),
                   font=dict(size=20, color=INK)),
        margin=dict(t=top, b=(shown.layout.margin.b or 0) + 100),
        paper_bgcolor="white",
    )  # fmt: skip
    shown.add_annotation(
        text=escape(footer) + " · CX dashboard", xref="paper", yref="paper", x=0, y=0, yshift=-78,
        xanchor="left", yanchor="top", showarrow=False, font=dict(size=16, color=INK_SOFT),
    )  # fmt: skip
    return shown


def chart_png(figure: go.Figure, context: ExportContext, *, width: int = 1400, height: int | None = None) -> bytes:
    """A PNG that stands alone: the stamped figure at twice its pixel size."""
    shown = stamped(figure, context)
    return images.png(shown, width=width, height=height or int((figure.layout.height or 460) + 200), scale=2)


def _in_units(metric, value: float | None) -> float | None:
    """A figure as exported: durations in minutes, rounded to the metric's decimals (at least one)."""
    if value is None:
        return None
    return round(value / 60 if metric.unit == "s" else value, max(metric.decimals, 1))


def overview_table(summaries: list) -> pd.DataFrame:
    """The headline figures as one table: each metric with its unit, 95% range, n and the tested change."""
    rows = []
    for summary in summaries:
        metric, current = summary.metric, summary.current
        rows.append(
            {
                "Metric": metric.label,
                "Unit": UNIT_WORDS[metric.unit],
                "Value": _in_units(metric, current.value),
                "95% interval low": _in_units(metric, current.ci_low),
                "95% interval high": _in_units(metric, current.ci_high),
                "n": current.n,
                "n counts": metric.counted,
                "Previous period": _in_units(metric, summary.previous.value if summary.previous else None),
                "Change": _in_units(metric, summary.change),
                "Change significant (95%)": "yes" if summary.comparison.significant else "no",
                "p-value": None if summary.comparison.p_value is None else round(summary.comparison.p_value, 4),
            }
        )
    return pd.DataFrame(rows)
