"""Shared page pieces: setup, navigation, sidebar filters mirrored in the URL, KPI tiles, cached queries.

Every page file starts with `filters = ui.setup_page("Trends")`, so a deep link to
any page gets the same config, theme, navigation, filters and access check.
"""

from __future__ import annotations

import importlib
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from streamlit.errors import StreamlitDuplicateElementKey

from cx import charts
from cx.analysis import briefing, metrics, narrative, scope, stats, units
from cx.analysis.filters import ATTRIBUTE_PREFIX, EARLIEST, FILTER_FIELDS, Filters, latest, link_notes
from cx.app import auth, guard, present, reporting, safe
from cx.app.safe import md
from cx.reports import alerts, exports, views
from cx.store import db, decks, warehouse

PAGES = [
    ("dashboard.py", "Overview", ":material/dashboard:"),
    ("pages/1_Trends.py", "Trends", ":material/show_chart:"),
    ("pages/2_Journey.py", "Journey", ":material/route:"),
    ("pages/3_Segments.py", "Segments", ":material/group:"),
    ("pages/4_Data.py", "Data", ":material/upload_file:"),
    ("pages/5_Comments.py", "Comments", ":material/forum:"),
    ("pages/6_Follow-up.py", "Follow-up", ":material/call:"),
    ("pages/7_Audit.py", "Audit", ":material/policy:"),
]
# The role a page needs when it is more than viewer; the page passes the same to setup_page(needs=...).
PAGE_NEEDS = {"pages/4_Data.py": "editor", "pages/7_Audit.py": "admin"}
COMMENTS_PAGE = "pages/5_Comments.py"
FIELD_LABELS = units.FIELD_LABELS  # one set of human names for fields, shared with the narrative
STATE_KEY = "filter_params"  # the chosen filters as query params, kept across pages

CSS = """
<style>
  html, body, [class*="css"] { font-size: 17px; }
  /* Style-only elements (this one) take no room: a style applies wherever its element is. */
  [data-testid="stElementContainer"]:has(> [data-testid="stMarkdown"] style) { display: none; }
  /* Dark text everywhere (at least 7:1 on white): captions and help are read across a room too. */
  [data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p { color: #374151; font-size: 0.95rem; }
  [data-testid="stMainBlockContainer"] { padding-top: 0.5rem; padding-bottom: 2rem; }
  [data-testid="stMetricValue"] { font-size: 2.1rem; font-weight: 700; line-height: 1.15; }
  [data-testid="stMetricLabel"] p { font-size: 1.05rem; font-weight: 600; }
  h1 { font-size: 2.0rem !important; padding: 0 0 0.2rem 0 !important; }
  [class*="st-key-cx_tile_"] { padding: 0.6rem 0.9rem !important; }
  [class*="st-key-cx_tile_"] p { margin-bottom: 0 !important; }
  [class*="st-key-cx_tile_"] [data-testid="stCaptionContainer"],
  [class*="st-key-cx_tile_"] [data-testid="stMarkdown"] [data-testid="stMarkdownContainer"] { margin-bottom: 0 !important; }
  [class*="st-key-cx_tile_"] [data-testid="stMarkdown"] p { font-size: 1rem; line-height: 1.3; }
  /* A flatter sparkline: the trend's shape, not its detail, is what a tile needs. */
  [class*="st-key-cx_tile_"] [data-testid="stMetricChart"] { transform: scaleY(0.42); transform-origin: top; margin-bottom: -35px; }
  /* Styled through keyed containers (class st-key-<key>), so data never needs to be HTML. */
  [class*="st-key-cx_small_"] [data-testid="stMarkdown"] p { color: #4B5563; font-size: 1.6rem; font-weight: 600;
                                                             line-height: 1.3; }
  [class*="st-key-cx_headline_"] [data-testid="stMarkdown"] p { font-size: 1.25rem; font-weight: 600;
                                                                margin: 0.2rem 0 0.4rem 0; }
  /* A phone: the app's top bar (sidebar button) would cover the page title. */
  @media (max-width: 640px) { [data-testid="stMainBlockContainer"] { padding-top: 4.2rem; } }
</style>
"""


def label(field_name: str) -> str:
    """'Journey stage', 'Acquisition channel', 'Contract' (cx.analysis.units.field_label)."""
    return units.field_label(field_name)


# --- cached queries ----------------------------------------------------------------------------


def query(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run `function(backend, *args, **kwargs)` on a read-only connection, cached per data version.

    The cache key includes the database file's version, so an import from the command line
    shows up on the next rerun without a restart, and what the signed-in person may see: the
    function reads through a backend limited to their customers, with personal data masked for
    viewers (cx.analysis.scope). With CX_WAREHOUSE set, the same functions run on the warehouse
    instead (cx.store.warehouse). A link or deck frozen `?as_of=` a moment reads a snapshot holding
    only the data imported up to then (`db.pin`), so during a meeting an import changes nothing on screen.
    """
    path = db.source()
    person = auth.current_user()
    limit = person.scope if person else ()
    mask = person is None or not person.has("editor")  # viewers see personal data masked
    try:
        return _cached(
            function.__module__,
            function.__qualname__,
            path,
            db.data_version(path),
            limit,
            mask,
            present.pinned(),
            args,
            tuple(sorted(kwargs.items())),
        )
    except db.DatabaseBusy:
        st.warning(
            "An import is writing to the database right now. The figures will be back in a moment: reload the page.",
            icon=":material/hourglass_top:",
        )
        st.stop()


@st.cache_data(show_spinner=False, max_entries=512, ttl=3600)
def _cached(
    module: str,
    name: str,
    path: str,
    version: tuple,
    limit: tuple,
    mask: bool,
    as_of: datetime | None,
    args: tuple,
    kwargs: tuple,
) -> Any:
    function = getattr(importlib.import_module(module), name)
    with db.reading(path, as_of=as_of) as backend:
        return function(scope.restrict(backend, limit, mask), *args, **dict(kwargs))


def data_span() -> tuple[date, date] | None:
    """First and last day with any data (cached with the page context)."""
    return query(page_context).span


def is_demo(backend) -> bool:
    """True while the only data is the built-in demo (its import row is the only one left)."""
    imports = backend.table("imports").filter(lambda t: t.status == "done").execute()
    return bool(len(imports)) and set(imports["kind"]) == {"demo"}


@dataclass(frozen=True)
class PageContext:
    """What every page needs before its own figures, read on one connection."""

    demo: bool
    span: tuple[date, date] | None  # first and last day with data
    options: dict[str, list[str]]  # values of each sidebar filter
    data_as_of: datetime | None  # when the newest data still shown was imported


def page_context(backend) -> PageContext:
    options = {field_name: metrics.field_values(backend, field_name) for field_name in FILTER_FIELDS}
    imports = backend.table("imports")
    latest = imports.filter(imports.status == "done").imported_at.max().execute()
    data_as_of = None if latest is None or pd.isna(latest) else pd.Timestamp(latest).to_pydatetime()
    return PageContext(is_demo(backend), metrics.data_range(backend), options, data_as_of)


# --- page setup --------------------------------------------------------------------------------


def setup_page(title: str, *, filters: bool = True, needs: str = "viewer") -> Filters:
    """Page config, theme, the access check, navigation, demo badge and (optionally) the sidebar filters; in
    present mode, the slide's header and the keys that move through the deck instead.

    `needs` is the role the page requires; whoever lacks it sees why and nothing else of the page."""
    missing_deck = present.forget_missing_deck(db.db_path())
    presenting = present.active()
    st.set_page_config(
        page_title=f"{title} · CX dashboard",
        page_icon=":material/insights:",
        layout="wide",
        initial_sidebar_state="collapsed" if presenting else "auto",  # auto: collapsed on a phone
    )
    guard.install()  # from here on, a failure on this page shows a plain message with a reference, no trace
    st.markdown(CSS, unsafe_allow_html=True)  # our constant style sheet, the only HTML we ever send
    person = auth.signed_in()
    chosen = scope.within(_current_params(), person.scope)  # the filters always include the person's scope
    carried = {k: v for k, v in chosen.items() if k in _carried_keys(chosen)}  # filters travel, page choices stay
    with st.sidebar:
        st.markdown("### CX dashboard")
        for path, page_label, icon in PAGES:
            if person.has(PAGE_NEEDS.get(path, "viewer")):
                st.page_link(path, label=page_label, icon=icon, query_params=carried or None)
        st.divider()
        if source := warehouse.configured():
            st.caption(f"Figures from the warehouse {safe.md(warehouse.describe(source))} (read-only).")
    auth.sidebar(person)
    auth.check_page(person, needs, title)
    context = query(page_context)
    if presenting:
        position = _open_slide(title, carried)
    current = sidebar_filters(chosen, context.span, context.options) if filters else Filters.from_query_params(chosen)
    st.session_state[VIEW_KEY] = {"filters": current, "data_as_of": _data_as_of_words(context.data_as_of)}
    st.session_state.pop(HEADLINE_KEY, None)
    if presenting:
        st.markdown(present.CSS, unsafe_allow_html=True)
        present.slide_header(title, period(current), current.describe(), context.data_as_of, position)
        present.keys(position)
        return current
    with st.sidebar:
        present.freeze_toggle()
        if _page_path(title) in views.BUILDERS:
            reporting.pdf_button("PDF report of this page", "cx_report_page", title, page=_page_path(title),
                                 params=_view_now(), as_of=present.pinned())  # fmt: skip
        with guard.guarded():  # a busy database must not take the page down with the deck list
            present.deck_panel(db.db_path(), PAGES, _page_path(title), _view_now())
    heading, badge, action = st.columns([8, 2, 2], vertical_alignment="center")
    heading.title(title)
    if context.demo:
        with badge.container(key="cx_demo_badge"):
            st.badge(
                "DEMO DATA", color="orange", icon=":material/science:", help="Import your own files on the Data page"
            )
    action.button(
        "Present", icon=":material/slideshow:", on_click=_start_presenting, key="cx_present_button",
        help="Full screen for a meeting: no sidebar, large type; arrow keys or a clicker move through the sections.",
    )  # fmt: skip
    with guard.guarded():
        alerts_banner()
    if missing_deck:
        st.error(f"There is no deck called {safe.md(missing_deck)} (or it has no slides).", icon=":material/error:")
    pinned = present.pinned()
    if pinned:
        st.info(
            f"Frozen snapshot: these figures use only data imported up to {present.describe_moment(pinned)}. "
            "Later imports are not shown.",
            icon=":material/ac_unit:",
        )
    return current


def _data_as_of_words(imported: datetime | None) -> str | None:
    pinned = present.pinned()
    if pinned:
        return f"frozen snapshot: data imported up to {present.describe_moment(pinned)}"
    return f"data imported up to {present.describe_moment(imported)}" if imported else None


def alerts_banner() -> None:
    """The alert rules that fire on the latest data (the file in $CX_ALERTS or ./alerts.toml), as a banner."""
    path = alerts.rules_path()
    if not path.exists():
        return
    try:
        rules = _rules(str(path), path.stat().st_mtime_ns)
    except alerts.RulesError as problem:
        st.warning(f"The alert rules cannot be checked: {md(problem)}", icon=":material/notifications_off:")
        return
    fired = query(alerts.check, rules)
    if fired:
        lines = "\n".join(f"- **{md(a.rule)}**: {md(a.text)}" for a in fired)
        st.warning(f"Alerts on the latest data:\n\n{lines}", icon=":material/notifications_active:")


@st.cache_data(show_spinner=False, max_entries=8)
def _rules(path: str, version: int) -> alerts.Rules:
    return alerts.load(path)


def period(filters: Filters) -> str:
    return f"{filters.start:%d %b %Y} – {filters.end:%d %b %Y}"


def view_caption(filters: Filters, note: str) -> None:
    """The caption under a page's title: its period and filters, then `note`. In present mode the slide's
    header above already prints the period and filters, so the caption says only the note."""
    if present.active():
        st.caption(note[:1].upper() + note[1:])
    else:
        st.caption(f"{period(filters)} · {safe.md(filters.describe())} · {note}")


def _view_now() -> dict[str, list[str]]:
    """The URL parameters of the view on screen (resolved filters and page choices), as a deck saves them."""
    every = {key: st.query_params.get_all(key) for key in st.query_params.keys()}
    return present.view_params(every, exclude_as_of=True)


def _start_presenting() -> None:
    st.query_params[present.PRESENT] = "1"


def _open_slide(title: str, carried: dict[str, list[str]]) -> present.Position:
    """Where in the deck this page is; a `?deck=` link first opens the deck's current slide."""
    name = st.query_params.get(present.DECK)
    deck = decks.load(name, db.db_path()) if name else None
    page_path = _page_path(title)
    position = present.current_position(PAGES, page_path, carried, deck)
    if deck is not None and (
        not present.on_slide(position, page_path)
        or present.view_params(
            {key: st.query_params.get_all(key) for key in st.query_params.keys()},
            set(position.slides[position.index].params),
        )
        != position.slides[position.index].params
        or (position.as_of and present.pinned() != position.as_of)
    ):
        present.go_to(position, position.index)
    return position


def _page_path(title: str) -> str:
    return next((path for path, page_label, _ in PAGES if page_label == title), PAGES[0][0])


def warehouse_notice() -> bool:
    """In warehouse mode, say where imports go instead of offering them here; True when it did."""
    source = warehouse.configured()
    if source is None:
        return False
    st.info(
        f"This dashboard reads from the warehouse {safe.md(warehouse.describe(source))}, read-only. Load new data "
        "with the warehouse's own pipelines, or import into a local database with `python -m cx import FILE` and "
        "copy it there with `python -m cx warehouse push --to URL`.",
        icon=":material/database:",
    )
    return True


def _current_params() -> dict[str, list[str]]:
    """Filters from the URL; when the URL has none (navigation), the ones chosen before."""
    from_url = {key: st.query_params.get_all(key) for key in st.query_params.keys()}
    if any(key in from_url for key in ("from", "to")) or STATE_KEY not in st.session_state:
        return from_url
    return {**st.session_state[STATE_KEY], **from_url}


def set_filters(new: Filters, **page_params: str | list[str] | None) -> None:
    """Change the filters (a drill-down, a reset): the URL, the stored state and the widgets follow."""
    params = {k: v for k, v in st.query_params.to_dict().items() if k not in _filter_keys(st.query_params.keys())}
    params.update(new.to_query_params())
    params.update({k: v for k, v in page_params.items() if v})
    st.query_params.from_dict(params)
    st.session_state[STATE_KEY] = new.to_query_params()


def _carried_keys(keys) -> list[str]:
    """What follows the user from page to page: the filters and a frozen snapshot's moment."""
    return [*_filter_keys(keys), *(k for k in keys if k == present.AS_OF)]


def _filter_keys(keys) -> list[str]:
    return [k for k in keys if k in ("from", "to", *FILTER_FIELDS, "touchpoint") or k.startswith(ATTRIBUTE_PREFIX)]


def sidebar_filters(
    params: dict[str, list[str]], span: tuple[date, date] | None, options: dict[str, list[str]]
) -> Filters:
    """Date range and field filters in the sidebar.

    The URL is the source of truth: on every run the widgets are set from it, and a
    widget's change callback writes the new choice back to it. (Streamlit resets widget
    state on a page switch, so widgets cannot be trusted to carry filters themselves.)
    """
    requested = Filters.from_query_params(params)
    notes = link_notes(params)
    first, last = span if span else (date.today() - timedelta(days=365), date.today())
    if last > latest():  # a stray date far in the future: the data's present is today, not that day
        last = max(date.today(), first)
    first, last = max(first, EARLIEST), max(min(last, latest()), EARLIEST)
    unusable = any("cannot be used" in note for note in notes)
    if not params.get("from") or unusable:  # no dates chosen: the last 90 days of data, not of the calendar
        requested = Filters.default(today=last).with_values(**dict(requested.where))
    state = st.session_state
    picking = isinstance(state.get("filter_dates"), tuple | list) and len(state["filter_dates"]) == 1
    if not picking:  # half-way through choosing a range in the calendar: leave it alone
        state["filter_dates"] = (requested.start, requested.end)
    with st.sidebar:
        st.markdown("**Filters**")
        st.date_input(
            "Date range",
            key="filter_dates",
            min_value=min(first, requested.start),
            max_value=max(last, requested.end),
            format="YYYY-MM-DD",
            on_change=_widgets_changed,
            args=(requested,),
            help="Figures cover this period; changes compare it with the previous period of equal length.",
        )
        for note in notes:
            (st.error if unusable else st.warning)(md(note), icon=":material/event_busy:")
        for field_name in FILTER_FIELDS:
            state[f"filter_{field_name}"] = list(requested.values(field_name))
            st.multiselect(
                label(field_name),
                sorted(set(options[field_name]) | set(requested.values(field_name))),
                key=f"filter_{field_name}",
                placeholder="All",
                on_change=_widgets_changed,
                args=(requested,),
            )
        others = [(k, v) for k, v in requested.where if k not in FILTER_FIELDS]
        if others:
            st.caption("Also filtered: " + "; ".join(f"{md(label(k))} = {md(', '.join(v))}" for k, v in others))
        if requested.where:
            st.button(
                "Clear filters",
                on_click=set_filters,
                args=(Filters(start=requested.start, end=requested.end),),
                icon=":material/filter_alt_off:",
            )
    _write_url(requested)
    return requested


def _widgets_changed(requested: Filters) -> None:
    """A sidebar widget changed: rebuild the filters from the widgets and write them to the URL."""
    state = st.session_state
    dates = state.get("filter_dates")
    start, end = dates if isinstance(dates, tuple | list) and len(dates) == 2 else (requested.start, requested.end)
    chosen = Filters(start=start, end=end, where=requested.where)
    chosen = chosen.with_values(**{f: state.get(f"filter_{f}") for f in FILTER_FIELDS})
    _write_url(chosen)


def _write_url(chosen: Filters) -> None:
    params = {
        k: st.query_params.get_all(k) for k in st.query_params.keys() if k not in _filter_keys(st.query_params.keys())
    }
    params.update(chosen.to_query_params())
    current = {k: st.query_params.get_all(k) for k in st.query_params.keys()}
    if _normalise(params) != _normalise(current):
        st.query_params.from_dict(params)
    st.session_state[STATE_KEY] = chosen.to_query_params()


def _normalise(params: dict) -> dict:
    return {k: sorted([v] if isinstance(v, str) else list(v)) for k, v in params.items()}


def page_param(name: str, options: list[str], default: str) -> str:
    """A page-level choice (metric, grain, split) read from the URL, falling back to a default."""
    value = st.query_params.get(name)
    return value if value in options else default


def number_param(name: str, default: float, low: float | None = None, high: float | None = None) -> float:
    """A numeric page-level choice from the URL, kept within low … high; the default when missing or malformed."""
    try:
        value = float(st.query_params.get(name, default))
    except ValueError:
        return default
    if not math.isfinite(value):
        return default
    return min(max(value, low if low is not None else value), high if high is not None else value)


def remember(**values: str | None) -> None:
    """Mirror page-level choices in the URL so a copied link reopens the same view."""
    for name, value in values.items():
        if value is None:
            st.query_params.pop(name, None)
        elif st.query_params.get(name) != value:
            st.query_params[name] = value


# --- figures -----------------------------------------------------------------------------------


def sentence(summary: metrics.Summary, days: int) -> str:
    """One plain sentence per tile, from the narrative layer (n is in the caption just above it)."""
    return narrative.tile_sentence(summary, days, with_n=False)


def kpi_tile(summary: metrics.Summary, spark: list[float], days: int) -> None:
    """A bordered tile: big number, change coloured only when significant, n, interval, sparkline.

    Below the minimum sample size the number is greyed and says so: never a bare number. The
    sparkline holds complete periods only (cx.analysis.trends.sparkline).
    """
    metric, current = summary.metric, summary.current
    name = units.label(metric, days, snapshot=summary.basis == "snapshot")
    unit = units.unit_for(metric, current.value)
    # Tight spacing: six tiles (two rows of three) fit one 1280×720 screen.
    with st.container(border=True, gap="xxsmall", key=f"cx_tile_{metric.key}"):
        if current.small and current.value is not None:
            st.metric(name, "n too small", help=metric.help, border=False)
            with styled("small"):
                st.markdown(md(f"{units.value(metric, current.value, unit)} from only {current.n:,} "
                               f"{metric.counted} (fewer than {stats.MIN_N}): too few to rely on."))  # fmt: skip
            return
        change = narrative.change_from_summary(summary)
        delta = None
        if summary.change is not None and summary.basis != "snapshot":
            delta = units.change(metric, summary.change, unit) + ("" if change.direction else " (within chance)")
        colour = "off"
        if change.tone is not None:
            colour = "normal" if metric.higher_is_better else "inverse"
        st.metric(
            name,
            units.value(metric, current.value, unit),
            delta,
            delta_color=colour,
            delta_arrow="off" if not change.direction else change.direction,
            help=metric.help,
            chart_data=spark or None,
            chart_type="line",
            border=False,
        )
        details = [f"n = {current.n:,} {metric.counted}"]
        if summary.extra.get("p90") is not None:
            details.append(f"p90 {units.value(metric, summary.extra['p90'])}")
        if current.ci_low is not None and current.ci_high is not None:
            details.append(f"95% range {units.interval(metric, current.ci_low, current.ci_high, unit)}")
        st.caption(md(" · ".join(details)))
        st.markdown(md(sentence(summary, days)))  # "$1,200 … $1,300" would otherwise render as maths


# Plotly's own toolbar: no logo, no lasso/zoom clutter; the PNG comes from our own button, with its context.
PLOTLY_CONFIG = {
    "displaylogo": False,
    "modeBarButtonsToRemove": ["toImage", "lasso2d", "select2d", "autoScale2d", "zoomIn2d", "zoomOut2d"],
}


def chart(fig: go.Figure, *, key: str | None = None, on_select: str = "ignore", scale: float = 1.0):
    """Draw a Plotly figure with our template, not Streamlit's (theme=None): 16 px text, dark ink."""
    return st.plotly_chart(
        safe.figure(charts.readable(fig, scale=scale)),
        key=key,
        on_select=on_select,
        selection_mode=("points",),
        theme=None,
        config=PLOTLY_CONFIG,
    )


def figure(
    fig: go.Figure,
    frame: pd.DataFrame,
    name: str,
    *,
    key: str | None = None,
    on_select: str = "ignore",
    title: str | None = None,
    metric: metrics.Metric | None = None,
    definition: str | None = None,
):
    """A chart with downloads that stand on their own: a PNG with its title, period, filters and n printed
    on it, and the data as a CSV under a header block (what, period, filters, n, units, definitions)."""
    event = chart(fig, key=key, on_select=on_select, scale=present.SCALE if present.active() else 1.0)
    metric = metric or _metric_named(name)
    context = export_context(frame, title or st.session_state.get(HEADLINE_KEY) or _words(name), metric, definition)
    table = exports.human_table(frame, metric)
    with st.container(horizontal=True, gap="small"):
        st.download_button(
            "Chart (PNG)",
            lambda: exports.chart_png(safe.figure(fig), context),  # drawn by kaleido only when asked for
            file_name=f"{name}.png",
            mime="image/png",
            icon=":material/image:",
            key=f"download_png_{key or name}",
            on_click=auth.record_export,  # every download goes to the audit trail
            args=(f"{name}.png", len(frame)),
        )
        st.download_button(
            "Data (CSV)",
            exports.labelled_csv(table, context),
            file_name=f"{name}.csv",
            mime="text/csv",
            icon=":material/download:",
            key=f"download_{key or name}",
            on_click=auth.record_export,
            args=(f"{name}.csv", len(frame)),
        )
    return event


HEADLINE_KEY = "cx_last_headline"  # the finding printed above the chart drawn next, for its exports
VIEW_KEY = "cx_view"  # this page's filters and data time, for exports


def export_context(
    frame: pd.DataFrame, title: str, metric: metrics.Metric | None = None, definition: str | None = None
) -> exports.ExportContext:
    """The period, filters, n, data time and definitions this page's figures stand for."""
    view = st.session_state.get(VIEW_KEY, {})
    filters: Filters | None = view.get("filters")
    definitions = tuple(d for d in (metric.help if metric else None, definition) if d)
    return exports.ExportContext(
        title=title,
        period=period(filters) if filters else "",
        filters=filters.describe() if filters else "",
        n=exports.sample_size(frame, metric.counted if metric else ""),
        data_as_of=view.get("data_as_of"),
        definitions=definitions,
        units=units_note(metric) if metric else None,
    )


def units_note(metric: metrics.Metric) -> str:
    return {
        "pts": f"{metric.label} in points (−100 to 100)",
        "%": f"{metric.label} in % (0–100); changes in percentage points",
        "score": f"{metric.label} as a mean score",
        "s": f"{metric.label} in minutes",
        "$": f"{metric.label} in dollars",
    }[metric.unit] + "; intervals are 95%"


def _metric_named(name: str) -> metrics.Metric | None:
    """The metric a download is named after ("nps_by_week"), longest key first ("nps_customers" before "nps")."""
    for key in sorted(metrics.METRICS, key=len, reverse=True):
        if name == key or name.startswith(key + "_"):
            return metrics.METRICS[key]
    return None


def _words(name: str) -> str:
    text = name.replace("_", " ")
    return text[:1].upper() + text[1:]


def page_url(page: str, params: dict[str, list[str]]) -> str:
    """A relative link to a page with its parameters, carrying a frozen moment and present mode along."""
    carried = dict(params)
    for name in (present.AS_OF, present.PRESENT):
        if st.query_params.get(name):
            carried[name] = [st.query_params[name]]
    path = "" if page == PAGES[0][0] else Path(page).stem.split("_", 1)[-1]
    return f"./{path}?{urlencode(carried, doseq=True)}"


def briefing_section(filters: Filters, found: list[briefing.Finding]) -> None:
    """'What changed': 3–7 ranked, tested sentences, each with a link to the view that shows it."""
    st.subheader("What changed")
    st.caption(briefing.intro(found, filters))
    for index, finding in enumerate(found, start=1):
        view = "Journey" if finding.page.endswith("Journey.py") else "Trends"
        st.markdown(rf"{index}\. {safe.md(finding.text)} [{view} →]({page_url(finding.page, finding.params)})")


def overview_download(tiles: list[tuple[metrics.Summary, pd.DataFrame]], filters: Filters) -> None:
    """The Overview's figures as one CSV: each metric with its unit, 95% range, n and the tested change."""
    context = export_context(pd.DataFrame(), "Headline figures against the previous period of equal length")
    context = replace(context, definitions=tuple(f"{s.metric.label}: {s.metric.help}" for s, _ in tiles),
                      units="Each row's unit is in the Unit column (durations in minutes); intervals are 95%")  # fmt: skip
    st.download_button(
        "Figures (CSV)",
        exports.labelled_csv(exports.overview_table([summary for summary, _ in tiles]), context),
        file_name=f"overview_{filters.start:%Y%m%d}_{filters.end:%Y%m%d}.csv",
        mime="text/csv",
        icon=":material/download:",
        key="download_overview",
        on_click=auth.record_export,
        args=(f"overview_{filters.start:%Y%m%d}_{filters.end:%Y%m%d}.csv", len(tiles)),
    )


# --- headlines, help and drill-downs (Journey and Segments pages) -------------------------------


def styled(style: str):
    """A container the page's CSS styles as `style` (its class is st-key-cx_<style>_<n>).

    Styling a keyed container keeps data out of HTML; n numbers the containers of one
    style on a page, because Streamlit refuses a key twice in one run.
    """
    for n in itertools.count():
        try:
            return st.container(key=f"cx_{style}_{n}")
        except StreamlitDuplicateElementKey:
            continue


def headline(text: str) -> None:
    """A chart's one-line finding, in large type above it; `text` is plain text (it names data). It is also
    the title of the chart's exports."""
    st.session_state[HEADLINE_KEY] = text
    with styled("headline"):
        st.markdown(md(text))


def how_we_compute(*paragraphs: str) -> None:
    with st.popover("How we compute this", icon=":material/help:"):
        for paragraph in paragraphs:
            st.markdown(paragraph)


def selected(event, field: str = "y", index: int | None = None) -> str | None:
    """The first selected point's `field` (`x`, `y`, or `customdata` with its `index`), if any."""
    try:
        points = event.selection.points if hasattr(event, "selection") else event["selection"]["points"]
    except (KeyError, TypeError, AttributeError):
        return None
    for point in points or []:
        value = point.get(field)
        if value is not None and index is not None:
            value = value[index] if isinstance(value, list | tuple) and len(value) > index else None
        if value is not None:
            return safe.from_plotly(str(value))
    return None


def drill(new: Filters, **page_params: str | list[str] | None) -> None:
    """Apply a drill-down's filters, then rerun so the page and the URL follow.

    A chart keeps its selection across reruns, so a drill that is already applied does nothing
    (otherwise the page would rerun for ever).
    """
    current = Filters.from_query_params({k: st.query_params.get_all(k) for k in st.query_params.keys()})
    if new == current:
        return
    set_filters(new, **page_params)
    forget_selections()
    st.rerun()


# --- the comments behind a figure --------------------------------------------------------------


def comments_link(filters: Filters, label: str = "The comments behind this", **view: str | list[str] | None) -> None:
    """A link to the Comments page with these filters and view choices (survey, band, theme, q, sort…).

    Every bar, point or tile can open "the comments behind this" with the same filters:
    `ui.comments_link(filters.with_values(touchpoint=[name]), survey="csat", sort="negative")`.
    """
    params = {**filters.to_query_params(), **{k: v for k, v in view.items() if v}}
    st.page_link(COMMENTS_PAGE, label=md(label), icon=":material/forum:", query_params=params)


DRILLS_KEY = "cx_drills"  # how many drill-downs (and backs) this session made: part of every drillable chart's key


def forget_selections() -> None:
    """After a drill or a back, clicked charts start unselected (a kept selection would drill again)."""
    st.session_state[DRILLS_KEY] = st.session_state.get(DRILLS_KEY, 0) + 1


def chart_key(name: str) -> str:
    """The key of a chart that drills on click: new after each drill, so an old selection never lingers."""
    return f"{name}_{st.session_state.get(DRILLS_KEY, 0)}"
