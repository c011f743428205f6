"""The executive report: a PDF that stands on its own after the meeting.

Cover (period, filters, the span of the data and when it was imported), the briefing, then each view's
sections: finding, chart (drawn by kaleido at twice its size), n and the 95% intervals in a small table;
definitions at the end; page numbers and the period on every page. fpdf2 lays it out with DejaVu Sans,
which has every character our sentences use (–, ·, ±, →).
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pandas as pd
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from cx.analysis import metrics
from cx.charts import readable
from cx.reports import images
from cx.reports.views import Section, View

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")  # Debian's fonts-dejavu-core (debian-packages.txt)
SIZES = {"a4": "A4", "letter": "Letter"}
INK = (17, 24, 39)
SOFT = (75, 85, 99)
RULE = (229, 231, 235)

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Cover:
    title: str  # "Monday review" or "Trends"
    period: str
    filters: str
    data_span: tuple[date, date] | None
    data_as_of: datetime | None  # newest import included
    frozen: bool = False
    generated: datetime = field(default_factory=lambda: datetime.now().replace(microsecond=0))


@dataclass(frozen=True)
class Timing:
    seconds: float
    chart_seconds: float
    kaleido_start_seconds: float
    charts: int
    pages: int


class _Document(FPDF):
    def __init__(self, size: str, footer_text: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format=SIZES[size])
        self.footer_text = footer_text
        for style, name in (("", "DejaVuSans.ttf"), ("B", "DejaVuSans-Bold.ttf"), ("I", "DejaVuSans-Oblique.ttf")):
            self.add_font("DejaVu", style, str(FONT_DIR / name))
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(16, 16, 16)
        self.set_title("CX review")
        self.set_creator("CX dashboard")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", "", 8)
        self.set_text_color(*SOFT)
        self.cell(0, 5, self.footer_text, align="L")
        self.set_x(-40)
        self.cell(24, 5, f"Page {self.page_no()} of {{nb}}", align="R")


def _text(pdf: FPDF, text: str, size: float = 10, style: str = "", colour=INK, gap: float = 1.5) -> None:
    pdf.set_font("DejaVu", style, size)
    pdf.set_text_color(*colour)
    pdf.multi_cell(0, size * 0.5, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(gap)


def _rule(pdf: FPDF) -> None:
    pdf.set_draw_color(*RULE)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(3)


def _cover(pdf: FPDF, cover: Cover) -> None:
    pdf.add_page()
    pdf.ln(30)
    _text(pdf, "CX review", 12, "B", SOFT)
    _text(pdf, cover.title, 26, "B", gap=6)
    _text(pdf, f"Period: {cover.period}", 13)
    _text(pdf, f"Filters: {cover.filters}", 13, gap=6)
    _rule(pdf)
    if cover.data_span:
        first, last = cover.data_span
        _text(pdf, f"The data runs from {first:%d %b %Y} to {last:%d %b %Y}.", 11)
    if cover.data_as_of:
        kind = "Frozen snapshot: only data" if cover.frozen else "Data"
        _text(pdf, f"{kind} imported up to {cover.data_as_of:%d %b %Y %H:%M}.", 11)
    _text(pdf, f"Report made {cover.generated:%d %b %Y %H:%M}.", 11, colour=SOFT, gap=8)
    _text(
        pdf,
        "Every figure has its sample size (n) and a 95% interval. A change is called a change only when it is "
        "statistically significant; where many are tested at once, false discoveries are controlled "
        "(Benjamini–Hochberg). Definitions are at the end.",
        10,
        colour=SOFT,
    )


def _briefing(pdf: FPDF, lines: Sequence[str]) -> None:
    """The first line says how many changed and how they were tested; the sentences follow, numbered."""
    pdf.add_page()
    _text(pdf, "What changed", 18, "B", gap=2)
    intro, *sentences = lines
    _text(pdf, intro, 10, colour=SOFT, gap=3)
    for index, sentence in enumerate(sentences, start=1):
        _text(pdf, f"{index}. {sentence}", 11, gap=3)


def _table(pdf: FPDF, frame: pd.DataFrame) -> None:
    if frame is None or frame.empty:
        return
    pdf.set_font("DejaVu", "", 7.5)
    pdf.set_text_color(*INK)
    shown = frame.astype(object).where(frame.notna(), "–")
    with pdf.table(
        col_widths=_column_widths(pdf, shown),
        first_row_as_headings=True,
        line_height=4.2,
        text_align="LEFT",
        borders_layout="HORIZONTAL_LINES",
        headings_style=_heading_style(),
    ) as table:
        table.row([str(c) for c in shown.columns])
        for values in shown.itertuples(index=False):
            table.row([_cell(v) for v in values])
    pdf.ln(2)


def _column_widths(pdf: FPDF, shown: pd.DataFrame) -> tuple[float, ...]:
    """Widths from each column's longest heading word (bold) and value, so no word breaks mid-way."""
    widths = []
    for name in shown.columns:
        pdf.set_font("DejaVu", "B", 7.5)
        word = max((pdf.get_string_width(w) for w in str(name).split()), default=0)
        pdf.set_font("DejaVu", "", 7.5)
        value = max((pdf.get_string_width(_cell(v)) for v in shown[name]), default=0)
        widths.append(max(word, min(value, 60)) + 3)  # + the cell's padding
    return tuple(widths)


def _heading_style() -> FontFace:
    return FontFace(family="DejaVu", emphasis="BOLD", size_pt=7.5, color=INK)


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) < 1e6 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _section(pdf: FPDF, section: Section, chart_png: bytes | None, chart_aspect: float) -> None:
    width = pdf.w - pdf.l_margin - pdf.r_margin
    needed = 30 + (width * chart_aspect if chart_png else 0)
    if pdf.get_y() + min(needed, 150) > pdf.h - pdf.b_margin:
        pdf.add_page()
    _text(pdf, section.title, 13, "B", gap=1)
    _text(pdf, section.headline, 10.5, gap=2)
    if chart_png:
        pdf.image(io.BytesIO(chart_png), w=width)
        pdf.ln(1)
    if section.n:
        _text(pdf, f"{section.n} · 95% intervals shown as bands or whiskers", 8.5, colour=SOFT, gap=1)
    _table(pdf, section.table)
    pdf.ln(3)


def _view_heading(pdf: FPDF, view: View, period: str) -> None:
    pdf.add_page()
    _text(pdf, view.title, 20, "B", gap=1)
    _text(pdf, f"{period} · {view.filters.describe()}", 10, colour=SOFT, gap=3)
    _rule(pdf)


def _definitions(pdf: FPDF, views: Sequence[View]) -> None:
    pdf.add_page()
    _text(pdf, "Definitions", 18, "B", gap=4)
    used = list(dict.fromkeys(k for view in views for k in view.metrics_used))
    for key in used or list(metrics.OVERVIEW_METRICS):
        metric = metrics.METRICS[key]
        _text(pdf, metric.label, 11, "B", gap=0.5)
        _text(pdf, f"{metric.help} n counts {metric.counted}.", 9.5, gap=2.5)
    notes = list(dict.fromkeys(note for view in views for note in view.notes))
    if notes:
        _text(pdf, "How the pages compute what they show", 11, "B", gap=1)
        for note in notes:
            _text(pdf, note, 9.5, gap=2)


def render(
    cover: Cover,
    views: Sequence[View],
    briefing: Sequence[str] = (),
    *,
    size: str = "a4",
    progress: Progress | None = None,
) -> tuple[bytes, Timing]:
    """The report as PDF bytes, and how long it took (charts and kaleido's start separately)."""
    began = time.perf_counter()
    report = progress or (lambda fraction, message: None)
    pdf = _Document(size.lower(), f"{cover.title} · {cover.period} · {cover.filters}")
    _cover(pdf, cover)
    if briefing:
        _briefing(pdf, briefing)
    sections = [(view, section) for view in views for section in view.sections]
    started = images.warm() if any(s.figure is not None for _, s in sections) else 0.0
    chart_seconds, charts_drawn, current = 0.0, 0, None
    for index, (view, section) in enumerate(sections):
        report(index / max(len(sections), 1), f"{view.title}: {section.title}")
        if view is not current:
            _view_heading(pdf, view, cover.period)
            current = view
        png, aspect = None, 0.0
        if section.figure is not None:
            height = int(section.figure.layout.height or 460)
            tick = time.perf_counter()
            png = images.png(readable(section.figure), width=1100, height=height, scale=2)
            chart_seconds += time.perf_counter() - tick
            charts_drawn += 1
            aspect = height / 1100
        _section(pdf, section, png, aspect)
    report(1.0, "Definitions")
    _definitions(pdf, views)
    data = bytes(pdf.output())
    return data, Timing(time.perf_counter() - began, chart_seconds, started, charts_drawn, pdf.page_no())
