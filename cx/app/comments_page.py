"""The Comments page's pieces: the view's controls (mirrored in the URL), the comment list with
highlighted matches, theme impact, and the leaders' theme edits.

Comment text is data: it reaches the page only through `safe.md`, and a search match is highlighted
by wrapping the *escaped* text, so no comment can become markup.
"""

from __future__ import annotations

import math

import streamlit as st

from cx import charts
from cx.analysis import comments, stats, text, units
from cx.analysis.comments import CommentView
from cx.analysis.filters import Filters
from cx.app import auth, ui
from cx.app.safe import md
from cx.ingest import comments as comment_store
from cx.store import db

SENTIMENT_LABELS = {"positive": "Positive", "neutral": "Neutral", "negative": "Negative",
                    comments.NO_SENTIMENT: "No sentiment (language without a scorer)"}  # fmt: skip


def highlight(comment: str, terms: list[str]) -> str:
    """Markdown of `comment` with every match of `terms` highlighted; the text itself stays literal."""
    pieces, position = [], 0
    for start, end in text.match_spans(comment, terms):
        pieces.append(md(comment[position:start]))
        pieces.append(f":orange-background[**{md(comment[start:end])}**]")
        position = end
    pieces.append(md(comment[position:]))
    return "".join(pieces)


# --- the view in the URL -----------------------------------------------------------------------


def current_view() -> CommentView:
    return CommentView.from_query_params({k: st.query_params.get_all(k) for k in st.query_params.keys()})


def _set_view(view: CommentView) -> None:
    params = {k: st.query_params.get_all(k) for k in st.query_params.keys() if k not in comments.VIEW_PARAMS}
    params.update(view.to_query_params())
    st.query_params.from_dict(params)


def _changed(name: str, key: str) -> None:
    value = st.session_state.get(key)
    if isinstance(value, list):
        value = tuple(value)
    _set_view(current_view().changed(**{name: value if value is not None else ""}))


def _survey_changed() -> None:
    survey = st.session_state.get("cm_survey") or None
    view = current_view()
    keep = tuple(b for b in view.bands if survey is None or b in text.BANDS.get(survey, {}))
    _set_view(view.changed(survey=survey, bands=keep))


def _touchpoints_changed(filters: Filters) -> None:
    ui.set_filters(filters.with_values(touchpoint=st.session_state.get("cm_touchpoint")))
    _set_view(current_view().changed())


def controls(filters: Filters, view: CommentView, choices: dict[str, list[str]], touchpoints: list[str]) -> None:
    """Search, survey, band, touchpoint, theme, sentiment, language and order; each writes the URL."""
    state = st.session_state
    state["cm_q"] = view.search
    st.text_input("Search the comments", key="cm_q", on_change=_changed, args=("search", "cm_q"),
                  placeholder='words (matched from their start) or "a phrase"; accents and case do not matter',
                  icon=":material/search:")  # fmt: skip
    first, second, third, fourth = st.columns(4)
    surveys = ["", *comments.SURVEYS]
    state["cm_survey"] = view.survey or ""
    first.selectbox("Survey", surveys, key="cm_survey", on_change=_survey_changed,
                    format_func=lambda s: comments.SURVEYS.get(s, "All surveys"))  # fmt: skip
    bands = [b for survey, ranges in text.BANDS.items() if view.survey in (None, survey) for b in ranges]
    state["cm_band"] = [b for b in view.bands if b in bands]
    second.multiselect("Score band", bands, key="cm_band", on_change=_changed, args=("bands", "cm_band"),
                       format_func=text.BAND_LABELS.get, placeholder="All scores")  # fmt: skip
    state["cm_touchpoint"] = list(filters.values("touchpoint"))
    third.multiselect("Touchpoint", sorted(set(touchpoints) | set(filters.values("touchpoint"))), key="cm_touchpoint",
                      on_change=_touchpoints_changed, args=(filters,), placeholder="All touchpoints")  # fmt: skip
    state["cm_theme"] = list(view.themes)
    fourth.multiselect("Theme", sorted(set(choices["themes"]) | set(view.themes)), key="cm_theme",
                       on_change=_changed, args=("themes", "cm_theme"), placeholder="All themes")  # fmt: skip
    fifth, sixth, seventh = st.columns([1, 1, 2])
    state["cm_sentiment"] = list(view.sentiments)
    fifth.multiselect("Sentiment", list(SENTIMENT_LABELS), key="cm_sentiment", on_change=_changed,
                      args=("sentiments", "cm_sentiment"), format_func=SENTIMENT_LABELS.get,
                      placeholder="Any sentiment")  # fmt: skip
    state["cm_lang"] = list(view.languages)
    sixth.multiselect("Language", sorted(set(choices["languages"]) | set(view.languages)), key="cm_lang",
                      on_change=_changed, args=("languages", "cm_lang"), format_func=text.language_name,
                      placeholder="Any language")  # fmt: skip
    state["cm_sort"] = view.order
    seventh.radio("Order", list(comments.ORDERS), key="cm_sort", on_change=_changed, args=("order", "cm_sort"),
                  format_func=comments.ORDERS.get, horizontal=True)  # fmt: skip


# --- the comments ------------------------------------------------------------------------------


def _given(value, missing: str) -> str:
    return missing if value is None or (isinstance(value, float) and math.isnan(value)) or value == "" else str(value)


def _sentiment(row) -> str:
    if row.sentiment_label is None or (isinstance(row.sentiment, float) and math.isnan(row.sentiment)):
        return f"no sentiment ({text.language_name(row.language)}: no scorer we trust)"
    scorer = text.SCORERS.get(row.language)
    experimental = ", experimental" if scorer and scorer.experimental else ""
    return f"{row.sentiment_label} ({row.sentiment:+.2f}{experimental})"


def comment_list(frame, total: int, view: CommentView) -> None:
    pages = max(1, math.ceil(total / view.page_size))
    if not total:
        st.info("No comment matches these filters. Clear a filter or the search to see more.",
                icon=":material/search_off:")  # fmt: skip
        return
    first = (view.page - 1) * view.page_size + 1
    matches = f"{units.counted(total, 'comment')} {'matches' if total == 1 else 'match'}"
    shown = f"showing {first:,}–{first + len(frame) - 1:,} · page {view.page} of {pages}" if pages > 1 else ""
    st.caption(" · ".join(part for part in (matches, shown) if part))
    terms = text.search_terms(view.search)
    for row in frame.itertuples():
        with st.container(border=True):
            st.markdown(highlight(row.comment, terms))
            customer_id = _given(row.customer_id, "")
            customer = f"{_given(row.name, '')} ({customer_id})".strip() if customer_id else "anonymous"
            # What the file did not have (no channel, no segment) is left out rather than said on every comment.
            where = [_given(value, "") for value in (row.touchpoint, row.channel, row.segment)]
            parts = [
                f"{comments.SURVEYS.get(row.survey, row.survey)} {row.score}",
                f"{row.responded_at:%d %b %Y}",
                *[w for w in where if w],
                customer,
                text.language_name(row.language),
                _sentiment(row),
            ]
            if row.themes:
                parts.append("themes: " + ", ".join(row.themes))
            st.caption(" · ".join(md(p) for p in parts))
    previous, _, following = st.columns([1, 4, 1])
    previous.button("Previous", disabled=view.page <= 1, on_click=_set_view, args=(view.changed(page=view.page - 1),),
                    icon=":material/chevron_left:", key="cm_previous")  # fmt: skip
    following.button("Next", disabled=view.page >= pages, on_click=_set_view, args=(view.changed(page=view.page + 1),),
                     icon=":material/chevron_right:", key="cm_next")  # fmt: skip


# --- themes ------------------------------------------------------------------------------------


VIEW_THEMES_SHOWN = 10


def view_themes_headline(shares) -> str:
    """'Of these 127 comments, 23% mention Billing support (95% 17–31%), 19% Wrong again, 16% Was charged.'"""
    top = shares.head(3)
    first = top.iloc[0]
    if int(first.comments) == 1:
        return f"This comment mentions {', '.join(shares['theme'])}."
    rest = "".join(f", {r.share:.0f}% {r.theme}" for r in top.iloc[1:].itertuples())
    return (
        f"Of these {units.counted(int(first.comments), 'comment')}, {first.share:.0f}% mention {first.theme} "
        f"(95% {first.ci_low:.0f}–{first.ci_high:.0f}%){rest}."
    )


def view_themes_section(filters: Filters, view: CommentView) -> None:
    """What the comments in view talk about, most mentioned theme first; a bar filters the list to it."""
    shares = ui.query(comments.view_themes, filters, view)
    if shares.empty:
        return
    st.subheader("What these comments talk about")
    st.markdown(f"**{md(view_themes_headline(shares))}**")
    shown = shares.head(VIEW_THEMES_SHOWN).assign(value=lambda f: f["share"], n=lambda f: f["mentions"])
    figure = charts.ranked_bars(shown, label="theme", value_label="Share of these comments", value_format=".0f",
                                suffix="%", flag=None, sort=False)  # fmt: skip
    event = ui.figure(figure, shares, "themes_of_these_comments", key="view_themes_chart", on_select="rerun")
    if (chosen := ui.selected(event, "y")) and view.themes != (chosen,):
        _set_view(view.changed(themes=(chosen,)))
        st.rerun()
    st.caption(
        "Share of the comments listed above (all pages) that mention each theme, with a 95% Wilson interval; "
        "n is how many mention it. Click a bar to list only its comments."
    )


def impact_headline(impact, survey: str) -> str:
    """The one sentence above the theme-cost bars: the costliest significant theme, or why there is none."""
    unit = "NPS points" if survey == "nps" else "CSAT points (top-2-box %)"
    headline = "NPS" if survey == "nps" else "CSAT"
    costly = impact[impact["significant"] & (impact["points_lost"] > 0)]
    themes = units.counted(len(impact), "theme")
    if len(costly):
        top = costly.iloc[0]
        return (
            f"{top.theme} costs the most: {top.points_lost:.1f} {unit} (95% {top.points_lost_low:.1f} – "
            f"{top.points_lost_high:.1f}), mentioned in {top.share:.0f}% of comments. {len(costly)} of {themes} "
            f"{'costs' if len(costly) == 1 else 'cost'} {headline} significantly (false discoveries controlled)."
        )
    if impact["small"].all():
        return (
            f"Too few comments to weigh any theme against {headline} here: each of the {themes} is mentioned in "
            f"fewer than {stats.MIN_N} comments, or by nearly all of them. Widen the dates or the filters."
        )
    return f"No theme costs {headline} significantly under these filters ({themes} weighed)."


def impact_section(filters: Filters, view: CommentView) -> None:
    survey = ui.query(comments.impact_survey, filters, view)
    if survey is None:
        st.info("No NPS or CSAT comments under these filters, so no theme can be weighed against a score.")
        return
    unit = "NPS points" if survey == "nps" else "CSAT points (top-2-box %)"
    impact = ui.query(comments.theme_impact, filters, survey)
    if view.changed(order="newest", survey=None) != CommentView():
        st.caption(f"Themes are weighed over every commented {comments.SURVEYS[survey]} answer under the sidebar "
                   "filters: the search, band, theme, sentiment and language narrow the list above, not this.")  # fmt: skip
    if impact.empty:
        st.info("No theme is mentioned in these comments yet. Themes are found after an import.")
        return
    st.markdown(f"**{md(impact_headline(impact, survey))}**")
    if not impact["small"].all():  # a chart of nothing but "n too small" would say less than the headline
        # Costliest first, as text.theme_impact ranks them.
        figure = charts.ranked_bars(text.impact_bars(impact), label="theme", value_label=f"{unit} lost",
                                    value_format=".1f", sort=False)  # fmt: skip
        event = ui.figure(figure, impact, f"theme_impact_{survey}", key="theme_impact_chart", on_select="rerun")
        if (chosen := ui.selected(event, "y")) and view.themes != (chosen,):
            _set_view(view.changed(themes=(chosen,)))
            st.rerun()
    ui.how_we_compute(
        f"For each theme: {'NPS' if survey == 'nps' else 'CSAT'} of the commented answers that mention it, against "
        "the commented answers that do not (95% Wald interval of the difference). Points lost: how much the "
        "headline figure would rise if the answers mentioning the theme scored like the rest, = share of all "
        "answers × difference, with the same interval scaled. Red: significant after Benjamini–Hochberg "
        f"across all themes; a theme mentioned in fewer than {stats.MIN_N} comments (or missing from fewer than "
        f"{stats.MIN_N}) gets no test and shows as n too small. A theme is mentioned when it carries at least "
        f"{text.MENTION_SHARE:.0%} of a comment's weight.",
        "Themes: TF-IDF over the comments (stop words of each language present), NMF into 8–20 themes, "
        "named by YAKE keyphrases. Renames, merges and pinned keyword rules are kept across recomputations.",
    )
    with st.expander("Every theme: share, score with and without it, points lost"):
        st.dataframe(
            impact.drop(columns=["small", "p_value"]),
            hide_index=True,
            column_config={
                "share": st.column_config.NumberColumn("Share of comments %", format="%.1f"),
                "with_value": st.column_config.NumberColumn("Score with", format="%.1f"),
                "without_value": st.column_config.NumberColumn("Score without", format="%.1f"),
                "difference": st.column_config.NumberColumn("Difference", format="%+.1f"),
                "points_lost": st.column_config.NumberColumn("Points lost", format="%.2f"),
                "q_value": st.column_config.NumberColumn("q (BH)", format="%.3f"),
            },
        )
    trend = ui.query(comments.theme_trend, filters)
    if len(trend) and trend["period"].nunique() >= 2:  # one month is no trend
        shown = impact["theme"].head(3).tolist()
        st.markdown("**How often the costliest themes come up, by month (share of comments, 95% band)**")
        figure = charts.trend(trend[trend["theme"].isin(shown)], comments.THEME_SHARE, "month")
        ui.figure(figure, trend, "theme_trend", key="theme_trend_chart")


def _progress_bar():
    bar = st.progress(0.0, text="Starting")
    return bar, lambda fraction, message: bar.progress(min(max(fraction, 0.0), 1.0), text=message)


def manage_themes() -> None:
    """Rename or merge themes, pin keyword rules, recompute: kept across recomputations."""
    themes = ui.query(comments.themes_table)
    rules = ui.query(comments.rules_table)
    with st.expander("Rename, merge or pin themes", icon=":material/edit:"):
        if not auth.can("editor"):
            st.caption("Renaming, merging and pinning themes needs the editor role.")
            return
        if themes.empty:
            st.caption("No themes yet: they are found after an import of comments.")
        else:
            labels = {int(r.theme_id): f"{r.name} — {', '.join(r.keyphrases)} ({units.counted(r.comments, 'comment')})"
                      for r in themes.itertuples()}  # fmt: skip
            pick, name, go = st.columns([3, 2, 1], vertical_alignment="bottom")
            chosen = pick.selectbox("Theme", list(labels), format_func=lambda i: md(labels[i]), key="cm_rename_pick")
            new_name = name.text_input("New name, or the name of a theme to merge it into", key="cm_rename_name")
            if go.button("Rename", key="cm_rename_go", icon=":material/edit:") and new_name.strip():
                auth.require("editor", "renaming a theme")
                comment_store.rename_theme(chosen, new_name, db.db_path(), by=auth.operator_name())
                auth.record("settings", f"theme {labels[chosen]} renamed to {new_name.strip()}")
                st.session_state["cm_message"] = f"Theme renamed to {new_name.strip()}."
                st.rerun()
        st.markdown("**Pinned keyword rules**: comments with any of the words belong to the theme, always.")
        name, words, go = st.columns([2, 3, 1], vertical_alignment="bottom")
        rule_name = name.text_input("Theme", key="cm_rule_name", placeholder="Billing")
        rule_words = words.text_input("Keywords, comma-separated", key="cm_rule_words", placeholder="refund, reembolso")
        if go.button("Pin", key="cm_rule_go", icon=":material/push_pin:"):
            keywords = [w.strip() for w in rule_words.split(",") if w.strip()]
            if rule_name.strip() and keywords:
                auth.require("editor", "pinning a theme rule")
                bar, progress = _progress_bar()
                comment_store.pin_rule(rule_name, keywords, db.db_path(), by=auth.operator_name(), progress=progress)
                auth.record("settings", f"theme rule pinned: {', '.join(keywords)} → {rule_name.strip()}")
                bar.empty()
                st.session_state["cm_message"] = f"Rule pinned: {', '.join(keywords)} → {rule_name.strip()}."
                st.rerun()
            st.warning("A rule needs a theme name and at least one keyword.")
        for rule in rules.itertuples():
            left, right = st.columns([5, 1], vertical_alignment="center")
            left.markdown(md(f"{', '.join(rule.keywords)} → {rule.name}"))
            if right.button("Remove", key=f"cm_rule_remove_{rule.name}", icon=":material/delete:"):
                auth.require("editor", "removing a theme rule")
                bar, progress = _progress_bar()
                comment_store.remove_rule(rule.name, db.db_path(), progress=progress)
                auth.record("settings", f"theme rule removed: {rule.name}")
                st.rerun()
        if st.button("Recompute themes now", key="cm_recompute", icon=":material/refresh:"):
            auth.require("editor", "recomputing the themes")
            bar, progress = _progress_bar()
            run = comment_store.refresh(db.db_path(), progress=progress)
            bar.empty()
            st.session_state["cm_message"] = f"Themes recomputed: {run.line()}."
            st.rerun()
    if message := st.session_state.pop("cm_message", None):
        st.success(md(message), icon=":material/check_circle:")
