"""Shared page pieces: setup, navigation, sidebar filters mirrored in the URL, KPI tiles, cached queries.

Every page file starts with `filters = ui.setup_page("Trends")`, so a deep link to
any page gets the same config, theme, navigation, filters and access check.
"""

from __future__ import annotations

import importlib
import itertools
import math
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from streamlit.errors import StreamlitDuplicateElementKey

from cx import charts
from cx.analysis import metrics, narrative, scope, stats, units
from cx.analysis.filters import ATTRIBUTE_PREFIX, EARLIEST, FILTER_FIELDS, Filters, latest, link_notes
from cx.app import auth, guard, safe
from cx.app.safe import md
from cx.reports import exports
from cx.store import db, warehouse

PAGES = [
    ("dashboard.py", "Overview", ":material/dashboard:"),
    ("pages/1_Trends.py", "Trends", ":material/show_chart:"),
    ("pages/2_Journey.py", "Journey", ":material/route:"),
    ("pages/3_Segments.py", "Segments", ":material/group:"),
    ("pages/4_Data.py", "Data", ":material/upload_file:"),
    ("pages/5_Comments.py", "Comments", ":material/forum:"),
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
  /* Dark text everywhere (at least 7:1 on white): captions and help are read across a room too. */
  [data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p { color: #374151; font-size: 0.95rem; }
  [data-testid="stMainBlockContainer"] { padding-top: 1.2rem; padding-bottom: 2rem; }
  [data-testid="stMetricValue"] { font-size: 2.1rem; font-weight: 700; line-height: 1.15; }
  [data-testid="stMetricLabel"] p { font-size: 1.05rem; font-weight: 600; }
  h1 { font-size: 2.0rem !important; padding: 0 0 0.2rem 0 !important; }
  [class*="st-key-cx_tile_"] { padding: 0.6rem 0.9rem !important; }
  [class*="st-key-cx_tile_"] p { margin-bottom: 0 !important; }
  [class*="st-key-cx_tile_"] [data-testid="stCaptionContainer"] { margin-bottom: 0 !important; }
  [class*="st-key-cx_tile_"] [data-testid="stMarkdown"] p { font-size: 1rem; line-height: 1.3; }
  /* A flatter sparkline: the trend's shape, not its detail, is what a tile needs. */
  [class*="st-key-cx_tile_"] [data-testid="stMetricChart"] { transform: scaleY(0.5); transform-origin: top; margin-bottom: -30px; }
  /* Styled through keyed containers (class st-key-<key>), so data never needs to be HTML. */
  [class*="st-key-cx_small_"] [data-testid="stMarkdown"] p { color: #4B5563; font-size: 1.6rem; font-weight: 600;
                                                             line-height: 1.3; }
  [class*="st-key-cx_headline_"] [data-testid="stMarkdown"] p { font-size: 1.25rem; font-weight: 600;
                                                                margin: 0.2rem 0 0.4rem 0; }
  /* A phone: the app's top bar (sidebar button) would cover the page title. */
  @media (max-width: 640px) { [data-testid="stMainBlockContainer"] { padding-top: 3.6rem; } }
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
    instead (cx.store.warehouse).
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
    module: str, name: str, path: str, version: tuple, limit: tuple, mask: bool, args: tuple, kwargs: tuple
) -> Any:
    function = getattr(importlib.import_module(module), name)
    with db.reading(path) as backend:
        return function(scope.restrict(backend, limit, mask), *args, **dict(kwargs))


def data_span() -> tuple[date, date] | None:
    """First and last day with any data (cached with the page context)."""
    return query(page_context)[1]


def is_demo(backend) -> bool:
    """True while the only data is the built-in demo (its import row is the only one left)."""
    imports = backend.table("imports").filter(lambda t: t.status == "done").execute()
    return bool(len(imports)) and set(imports["kind"]) == {"demo"}


def page_context(backend) -> tuple[bool, tuple[date, date] | None, dict[str, list[str]]]:
    """What every page needs before its own figures, on one connection: demo?, data span, filter options."""
    options = {field_name: metrics.field_values(backend, field_name) for field_name in FILTER_FIELDS}
    return is_demo(backend), metrics.data_range(backend), options


# --- page setup --------------------------------------------------------------------------------


def setup_page(title: str, *, filters: bool = True, needs: str = "viewer") -> Filters:
    """Page config, theme, the access check, navigation, demo badge and (optionally) the sidebar filters.

    `needs` is the role the page requires; whoever lacks it sees why and nothing else of the page."""
    st.set_page_config(
        page_title=f"{title} · CX dashboard",
        page_icon=":material/insights:",
        layout="wide",
        initial_sidebar_state="auto",  # collapsed on a phone, open on a desktop
    )
    guard.install()  # from here on, a failure on this page shows a plain message with a reference, no trace
    st.markdown(CSS, unsafe_allow_html=True)  # our constant style sheet, the only HTML we ever send
    person = auth.signed_in()
    chosen = scope.within(_current_params(), person.scope)  # the filters always include the person's scope
    carried = {k: v for k, v in chosen.items() if k in _filter_keys(chosen)}  # filters travel, page choices stay
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
    demo, span, options = query(page_context)
    current = sidebar_filters(chosen, span, options) if filters else Filters.from_query_params(chosen)
    heading, badge = st.columns([5, 1], vertical_alignment="center")
    heading.title(title)
    if demo:
        with badge.container(key="cx_demo_badge"):
            st.badge(
                "DEMO DATA", color="orange", icon=":material/science:", help="Import your own files on the Data page"
            )
    return current


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


def figure(fig: go.Figure, frame: pd.DataFrame, name: str, *, key: str | None = None, on_select: str = "ignore"):
    """A chart with its data as a CSV download beside it."""
    event = chart(fig, key=key, on_select=on_select)
    st.download_button(
        "Download data (CSV)",
        exports.csv_bytes(frame),  # the one CSV writer: formulas in data made inert
        file_name=f"{name}.csv",
        mime="text/csv",
        icon=":material/download:",
        key=f"download_{key or name}",
        on_click=auth.record_export,
        args=(f"{name}.csv", len(frame)),
    )
    return event


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
    """A chart's one-line finding, in large type above it; `text` is plain text (it names data)."""
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
