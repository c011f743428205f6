"""One report from a deck or a page: the views built on one (possibly frozen) connection, laid out as a PDF.

The command line (`python -m cx report`) and the app's "Report (PDF)" button both come here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd

from cx.analysis import briefing as findings
from cx.analysis import metrics
from cx.analysis.filters import Filters
from cx.reports import pdf, views
from cx.store import db, decks
from cx.store.decks import Slide


@dataclass(frozen=True)
class Report:
    pdf: bytes
    title: str
    period: str
    filters: str
    pages: int
    timing: pdf.Timing


def period_words(filters: Filters) -> str:
    return f"{filters.start:%d %b %Y} – {filters.end:%d %b %Y}"


def _data_context(backend) -> tuple[tuple[date, date] | None, datetime | None]:
    imports = backend.table("imports")
    latest = imports.filter(imports.status == "done").imported_at.max().execute()
    as_of = None if latest is None or pd.isna(latest) else pd.Timestamp(latest).to_pydatetime()
    return metrics.data_range(backend), as_of


def slides_for(deck_name: str | None, page: str | None, params: dict[str, list[str]], database=None):
    """The slides to print and the report's title and frozen moment: a saved deck, or one page with `params`."""
    if deck_name:
        deck = decks.load(deck_name, database)
        if deck is None:
            raise ValueError(f"There is no deck called {deck_name!r}.")
        return deck.name, [s for s in deck.slides if s.page in views.BUILDERS], deck.as_of
    path = views.page_file(page or "overview")
    return views.PAGE_TITLES[path], [Slide(path, params)], None


def build(
    *,
    deck: str | None = None,
    page: str | None = None,
    params: dict[str, list[str]] | None = None,
    as_of: datetime | None = None,
    size: str = "a4",
    database: str | os.PathLike | None = None,
    progress: pdf.Progress | None = None,
    briefing: list[str] | None = None,
) -> Report:
    """Build the report. `params` (URL-style: from, to, filters, page choices) override each slide's filters.

    The briefing is computed for the first slide's period and filters unless given (an empty list: none)."""
    params = params or {}
    title, slides, frozen = slides_for(deck, page, params, database)
    if not slides:
        raise ValueError(f"The deck {deck!r} has no slide a report can print.")
    as_of = as_of or frozen
    with db.reading(database, as_of=as_of) as backend:
        span, data_as_of = _data_context(backend)
        default = Filters.default(today=span[1]) if span else Filters.default()
        built = []
        for slide in slides:
            slide_params = {**slide.params, **params} if deck else slide.params
            built.append(views.build(backend, slide.page, slide_params, default))
        first = built[0].filters
        if briefing is None:
            found = findings.briefing(backend, first)
            briefing = [findings.intro(found, first), *(f.text for f in found)]
    cover = pdf.Cover(title, period_words(first), first.describe(), span, as_of or data_as_of, frozen=as_of is not None)
    data, timing = pdf.render(cover, built, briefing or [], size=size, progress=progress)
    return Report(data, title, cover.period, cover.filters, timing.pages, timing)
