"""Present mode and decks: the dashboard on a meeting-room screen, walked through with a clicker.

`?present=1` on any page hides the sidebar and every toolbar, sets type about 1.5 times larger and
prints the period, the filters and the data's "as of" time at the top of the slide. The arrow keys,
page-up/page-down and a presentation clicker (which sends those keys) move through the page's
sections and then to the next slide. A deck is a saved list of slides (`cx.store.decks`); `?deck=NAME`
opens one. Without a deck, the slides are the analysis pages in navigation order.

Only URL parameters and a few `st.session_state` entries prefixed `cx_present` carry this state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import streamlit as st

from cx.analysis.filters import ATTRIBUTE_PREFIX, CUSTOMER_FIELDS, EVENT_FIELDS, Filters
from cx.app import auth, reporting
from cx.app.safe import md
from cx.store import decks
from cx.store.decks import Deck, Slide

PRESENT, DECK, SLIDE, AS_OF = "present", "deck", "slide", "as_of"
SCALE = 1.5  # present mode's type, relative to the normal page
ARRIVE_KEY = "cx_present_arrive"  # "end" after moving back, so the previous slide opens at its last section

CSS = """
<style>
  /* A slide: nothing but the content. */
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
  [data-testid="collapsedControl"], [data-testid="stHeader"], [data-testid="stToolbar"],
  [data-testid="stDecoration"], [data-testid="stStatusWidget"], [data-testid="stElementToolbar"],
  .modebar-container { display: none !important; }
  html, body, [class*="css"] { font-size: 25.5px; }  /* 1.5 x the normal 17 px */
  [data-testid="stMainBlockContainer"] { max-width: 100% !important; padding: 0 2.2rem 4rem 2.2rem !important; }
  h1 { font-size: 1.7rem !important; }
  /* The view is fixed by the slide: its pickers, downloads and help buttons would only distract. */
  [data-testid="stElementContainer"]:has([data-testid="stSelectbox"], [data-testid="stMultiSelect"],
    [data-testid="stNumberInput"], [data-testid="stButtonGroup"], [data-testid="stDownloadButton"],
    [data-testid="stPopover"], [data-testid="stButton"], [data-testid="stExpander"], [data-testid="stPageLink"]) {
    display: none !important; }
  [data-testid="stExpander"] { display: none !important; }
  /* The slide's header stays at the top while its sections scroll beneath it. */
  [data-testid="stLayoutWrapper"]:has(> .st-key-cx_slide_header) { position: fixed; top: 0; left: 0; right: 0;
    z-index: 999990; }
  .st-key-cx_slide_header { background: #FFFFFF; border-bottom: 2px solid #E5E7EB;
    padding: 0.5rem 2.2rem 0.4rem 2.2rem; }
  /* Elements that draw nothing (the key listener) take no room either. */
  .st-key-cx_present_keys { display: none !important; }
  .st-key-cx_slide_header [data-testid="stMarkdownContainer"] p { font-size: 0.8rem; line-height: 1.35;
    color: #1F2937; margin: 0 !important; }
  .st-key-cx_slide_header h1 { padding: 0 !important; margin: 0 !important; line-height: 1.2; }
  .st-key-cx_slide_header [data-testid="stMarkdownContainer"] { margin-bottom: 0 !important; }
  [data-testid="stMain"] { padding-top: 0 !important; }
  [data-testid="stMainBlockContainer"] { padding-top: 5.8rem !important; }  /* below the header; JS measures */
</style>
"""

# Listens for the keys a presenter (or a clicker, which sends page-down/page-up or arrows) presses.
# It scrolls to the page's next or previous section heading itself; past the last (or before the first)
# it tells Python, which opens the next (or previous) slide. Typing in a field is left alone.
KEYS_JS = """
export default function (component) {
  const { data, setTriggerValue } = component;
  const NEXT = ["ArrowRight", "ArrowDown", "PageDown", " "];
  const PREVIOUS = ["ArrowLeft", "ArrowUp", "PageUp"];
  const header = () => document.querySelector(".st-key-cx_slide_header");
  const below = () => (header() ? header().getBoundingClientRect().bottom : 0);
  const sections = () => Array.from(
    document.querySelectorAll('[data-testid="stMainBlockContainer"] h2, [data-testid="stMainBlockContainer"] h3')
  ).filter((h) => !h.closest('[data-testid="stExpander"], [data-testid="stPopover"], .st-key-cx_slide_header')
                  && h.offsetParent !== null);
  const show = (heading) => {
    if (!heading) {
      const first = document.querySelector('[data-testid="stMainBlockContainer"]');
      if (first) first.scrollIntoView({ block: "start" });
      return;
    }
    heading.style.scrollMarginTop = (header() ? header().offsetHeight + 12 : 12) + "px";
    heading.scrollIntoView({ block: "start" });
  };
  const onScreen = (h) => { const r = h.getBoundingClientRect(); return r.top >= below() - 4 && r.top < window.innerHeight; };
  const move = (step) => {
    const list = sections();
    let current = -1;  // -1: the top of the slide, above its first section
    list.forEach((h, i) => { if (h.getBoundingClientRect().top <= below() + 16) current = i; });
    // A last section too short to reach the top stays where the page ends: remember it was shown,
    // or "next" would show it again forever instead of opening the next slide.
    const shown = window.__cxShownSection;
    if (shown && list.includes(shown) && onScreen(shown)) current = Math.max(current, list.indexOf(shown));
    const target = current + step;
    if (target < -1) { setTriggerValue("go", "previous"); return; }
    if (target >= list.length) { setTriggerValue("go", "next"); return; }
    window.__cxShownSection = target === -1 ? null : list[target];
    show(window.__cxShownSection);
  };
  if (window.__cxPresentKeys) document.removeEventListener("keydown", window.__cxPresentKeys, true);
  window.__cxPresentKeys = (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.target.closest && event.target.closest("input, textarea, select, [contenteditable='true']")) return;
    if (event.key === "Escape") { setTriggerValue("go", "exit"); return; }
    const step = NEXT.includes(event.key) ? 1 : PREVIOUS.includes(event.key) ? -1 : 0;
    if (!step) return;
    event.preventDefault();
    event.stopPropagation();
    move(step);
  };
  document.addEventListener("keydown", window.__cxPresentKeys, true);
  // Keep the content clear of the fixed header, however many lines the filters take.
  const clear = () => {
    const main = document.querySelector('[data-testid="stMainBlockContainer"]');
    if (main && header()) main.style.setProperty("padding-top", header().offsetHeight + 16 + "px", "important");
  };
  clear();
  if (window.ResizeObserver && header()) new ResizeObserver(clear).observe(header());
  if (data && data.arrive === "end" && window.__cxArrived !== data.token) {
    window.__cxArrived = data.token;
    // Coming back from the next slide: open at this slide's last section once the page has drawn.
    const wait = setInterval(() => {
      const app = document.querySelector('[data-testid="stApp"]');
      if (app && app.getAttribute("data-test-script-state") === "notRunning") {
        clearInterval(wait);
        const list = sections();
        if (list.length) show(list[list.length - 1]);
      }
    }, 150);
    setTimeout(() => clearInterval(wait), 20000);
  }
  document.body.setAttribute("data-cx-present-keys", "ready");
  return () => {
    document.removeEventListener("keydown", window.__cxPresentKeys, true);
    document.body.removeAttribute("data-cx-present-keys");
  };
}
"""

_keys = st.components.v2.component("cx_present_keys", js=KEYS_JS)


def active() -> bool:
    """Present mode is on: `?present=1`, or a deck is open."""
    return st.query_params.get(PRESENT) == "1" or bool(st.query_params.get(DECK))


def parse_as_of(text: str | None) -> datetime | None:
    """The frozen moment from the URL (`2026-12-01T10:32:05`); None when absent or malformed."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        return None


def as_of_param(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat()


def pinned() -> datetime | None:
    return parse_as_of(st.query_params.get(AS_OF))


# --- slides ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    """Where the presenter is: the slides, which one is showing, and the deck's name if any."""

    slides: tuple[Slide, ...]
    index: int
    deck: str | None = None
    as_of: datetime | None = None


NOT_SLIDES = {"Data", "Audit", "Follow-up"}  # pages for working on the data, not for showing it


def default_slides(pages: list[tuple[str, str, str]], carried: dict[str, list[str]]) -> tuple[Slide, ...]:
    """Without a deck: the analysis pages in navigation order, each with the current filters."""
    return tuple(Slide(path, dict(carried)) for path, label, _ in pages if label not in NOT_SLIDES)


def slide_params(position: Position, index: int) -> dict[str, list[str] | str]:
    slide = position.slides[index]
    params: dict[str, list[str] | str] = {**slide.params, PRESENT: "1"}
    if position.deck:
        params[DECK] = position.deck
        params[SLIDE] = str(index + 1)
    if position.as_of:
        params[AS_OF] = as_of_param(position.as_of)
    return params


def go_to(position: Position, index: int, *, arrive: str = "start") -> None:
    """Open slide `index`: its page with its parameters, widgets starting fresh from the URL."""
    index = max(0, min(index, len(position.slides) - 1))
    for key in list(st.session_state.keys()):
        if not str(key).startswith("cx_present"):
            del st.session_state[key]  # the page's widgets must follow the slide's URL, not the last slide
    st.session_state[ARRIVE_KEY] = arrive
    st.switch_page(position.slides[index].page, query_params=slide_params(position, index))


def forget_missing_deck(database) -> str | None:
    """A `?deck=` naming no deck (or an empty one) leaves present mode; returns the name to report it."""
    name = st.query_params.get(DECK)
    if not name:
        return None
    deck = decks.load(name, database)
    if deck is not None and deck.slides:
        return None
    for param in (PRESENT, DECK, SLIDE):
        st.query_params.pop(param, None)
    return name


def exit_present() -> None:
    for name in (PRESENT, DECK, SLIDE):
        st.query_params.pop(name, None)
    st.rerun()


def keys(position: Position) -> None:
    """The key listener; acts on what it reports (next, previous, exit)."""
    arrive = st.session_state.pop(ARRIVE_KEY, "start")
    token = f"{position.deck}|{position.index}|{datetime.now().timestamp()}"
    result = _keys(key="cx_present_keys", data={"arrive": arrive, "token": token}, on_go_change=lambda: None)
    go = getattr(result, "go", None)
    if go == "next" and position.index + 1 < len(position.slides):
        go_to(position, position.index + 1)
    elif go == "previous" and position.index > 0:
        go_to(position, position.index - 1, arrive="end")
    elif go == "exit":
        exit_present()


# --- what every slide prints at its top -------------------------------------------------------------


def describe_moment(moment: datetime | None) -> str:
    return f"{moment:%d %b %Y %H:%M}" if moment else "–"


def slide_header(title: str, period: str, filters_text: str, data_as_of: datetime | None, position: Position) -> None:
    """Title, period, filters and the data's 'as of' time, kept at the top while the slide scrolls."""
    with st.container(key="cx_slide_header", gap="xxsmall"):
        counter = f"{position.index + 1} / {len(position.slides)}"
        name = f" · {position.deck}" if position.deck else ""
        st.title(title)
        st.markdown(md(f"{period} · {filters_text}"))
        frozen = (
            f"Frozen snapshot: data imported up to {describe_moment(position.as_of)}" if position.as_of else "Live data"
        )
        st.markdown(md(f"Data as of {describe_moment(data_as_of)} · {frozen} · slide {counter}{name}"))


def current_position(
    pages: list[tuple[str, str, str]], page_path: str, carried: dict[str, list[str]], deck: Deck | None
) -> Position:
    """The slides being presented and which of them this page is."""
    as_of = pinned()
    if deck is None:
        slides = default_slides(pages, carried)
        index = next((i for i, s in enumerate(slides) if s.page == page_path), 0)
        return Position(slides, index, None, as_of)
    try:
        index = int(st.query_params.get(SLIDE, "1")) - 1
    except ValueError:
        index = 0
    index = max(0, min(index, len(deck.slides) - 1))
    return Position(deck.slides, index, deck.name, deck.as_of or as_of)


def on_slide(position: Position, page_path: str) -> bool:
    """The page showing is the slide the URL asks for (otherwise the deck must open it)."""
    return bool(position.slides) and position.slides[position.index].page == page_path


def view_params(
    params: dict[str, Any], keep: set[str] | None = None, *, exclude_as_of: bool = False
) -> dict[str, list[str]]:
    """The URL parameters that define a view (filters and page choices), without present-mode ones."""
    skip = {PRESENT, DECK, SLIDE, *([AS_OF] if exclude_as_of else [])}
    return {
        k: [str(x) for x in (v if isinstance(v, list | tuple) else [v])]
        for k, v in params.items()
        if k not in skip and (keep is None or k in keep)
    }


# --- saving decks (normal mode, in the sidebar) -----------------------------------------------------

NEW_DECK = "New deck…"


def slide_label(slide: Slide, page_labels: dict[str, str]) -> str:
    """'Trends · metric csat, grain month · 01 Sep 2026 – 30 Nov 2026 · Segment: SMB' for the deck's list."""
    filters = Filters.from_query_params(slide.params)
    choices = [
        f"{k} {', '.join(v)}"
        for k, v in slide.params.items()
        if k not in _FILTER_PARAMS and k != AS_OF and not k.startswith(ATTRIBUTE_PREFIX)
    ]
    period = f"{filters.start:%d %b %Y} – {filters.end:%d %b %Y}" if "from" in slide.params else "latest 90 days"
    parts = [page_labels.get(slide.page, slide.page), ", ".join(choices), period, filters.describe()]
    return " · ".join(p for p in parts if p)


_FILTER_PARAMS = {"from", "to", *CUSTOMER_FIELDS, *EVENT_FIELDS}


def deck_panel(database, pages: list[tuple[str, str, str]], page_path: str, params: dict[str, list[str]]) -> None:
    """Add the view on screen to a deck, order and remove its slides, freeze it, and open it."""
    labels = {path: label for path, label, _ in pages}
    if not auth.can("editor"):
        return  # viewers present decks (?deck=NAME) but do not change them
    with st.expander("Decks for team reviews", icon=":material/slideshow:"):
        existing = decks.names(database)
        choice = st.selectbox("Deck", [NEW_DECK, *existing], key="cx_present_deck_choice")
        name = (
            st.text_input("Name", key="cx_present_deck_name", max_chars=decks.MAX_NAME)
            if choice == NEW_DECK
            else choice
        )
        deck = decks.load(name, database) if name and choice != NEW_DECK else None
        view = Slide(page_path, params)
        if st.button("Add this view", icon=":material/add:", key="cx_present_add", disabled=not name):
            auth.require("editor", "saving a deck")
            try:
                slides = list(deck.slides) if deck else []
                if not slides and page_path != pages[0][0]:  # a deck opens on the Overview and its briefing
                    slides.append(
                        Slide(
                            pages[0][0],
                            {k: v for k, v in params.items() if k in _FILTER_PARAMS or k.startswith(ATTRIBUTE_PREFIX)},
                        )
                    )
                slides.append(view)
                deck = _save(Deck(name, tuple(slides), deck.as_of if deck else None), database, "added a view")
                st.session_state["cx_present_deck_choice"] = deck.name
                st.rerun()
            except ValueError as problem:
                st.error(str(problem))
        if deck is None:
            st.caption("A deck is the views you add, in order, each with its filters. `?deck=NAME` opens it.")
            return
        for index, slide in enumerate(deck.slides):
            text, up, down, remove = st.columns([6, 1, 1, 1], vertical_alignment="center")
            text.markdown(md(f"{index + 1}. {slide_label(slide, labels)}"))
            moves = {
                "up": (up, ":material/arrow_upward:", index - 1),
                "down": (down, ":material/arrow_downward:", index + 1),
            }
            for direction, (column, icon, target) in moves.items():
                if column.button("", icon=icon, key=f"cx_present_{direction}_{index}", disabled=not 0 <= target < len(deck.slides),
                                 help=f"Move {direction}"):  # fmt: skip
                    auth.require("editor", "saving a deck")
                    slides = list(deck.slides)
                    slides[index], slides[target] = slides[target], slides[index]
                    _save(Deck(deck.name, tuple(slides), deck.as_of), database, f"moved slide {index + 1} {direction}")
                    st.rerun()
            if remove.button("", icon=":material/close:", key=f"cx_present_remove_{index}", help="Remove"):
                auth.require("editor", "saving a deck")
                _save(Deck(deck.name, deck.slides[:index] + deck.slides[index + 1 :], deck.as_of), database,
                      f"removed slide {index + 1}")  # fmt: skip
                st.rerun()
        frozen = st.toggle(
            "Freeze the figures",
            value=deck.as_of is not None,
            key=f"cx_present_freeze_{deck.name}",
            help="Use only the data imported up to now, so an import during the meeting changes nothing on screen.",
        )
        if frozen != (deck.as_of is not None):
            auth.require("editor", "saving a deck")
            moment = datetime.now().replace(microsecond=0) if frozen else None
            _save(Deck(deck.name, deck.slides, moment), database, "froze its figures" if frozen else "unfroze it")
            st.rerun()
        if deck.as_of:
            st.caption(f"Frozen at {describe_moment(deck.as_of)}.")
        st.page_link(
            pages[0][0], label="Present this deck", icon=":material/slideshow:", query_params={DECK: deck.name}
        )
        reporting.pdf_button("PDF report of this deck", "cx_report_deck", deck.name, deck=deck.name)
        if st.button("Delete this deck", icon=":material/delete:", key="cx_present_delete"):
            auth.require("editor", "deleting a deck")
            decks.delete(deck.name, database)
            auth.record("deck", deck.name, rows=len(deck.slides), detail={"change": "deleted"})
            st.session_state.pop("cx_present_deck_choice", None)
            st.rerun()


def _save(deck: Deck, database, change: str) -> Deck:
    """Store the deck and write who changed it, and how, to the audit trail."""
    saved = decks.save(deck, database)
    auth.record("deck", saved.name, rows=len(saved.slides), detail={"change": change})
    return saved


def freeze_toggle() -> None:
    """Freeze this link's figures at the present moment (the URL then carries `as_of`), or unfreeze them."""
    moment = pinned()
    frozen = st.toggle(
        "Freeze the figures",
        value=moment is not None,
        key="cx_present_freeze_link",
        help="Figures use only data imported up to now; a copied link shows everyone the same numbers.",
    )
    if frozen and moment is None:
        st.query_params[AS_OF] = as_of_param(datetime.now())
        st.rerun()
    if not frozen and moment is not None:
        st.query_params.pop(AS_OF, None)
        st.rerun()
