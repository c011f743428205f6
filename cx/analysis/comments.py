"""The comments behind a view: which comments match the filters, a search, a band, a theme; theme impact.

Queries as Ibis expressions over the tables that `cx.ingest.comments` fills at import time; the
text analysis itself (`cx.analysis.text`) never runs here, so a page only reads.

A view of the comments lives in the URL beside the global filters, so "the comments behind this"
is a link: `?touchpoint=Billing+inquiry&survey=csat&band=csat_low&q=refund&sort=negative`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import ibis
import ibis.expr.types as ir
import pandas as pd

from cx.analysis import filters as global_filters
from cx.analysis import privacy, stats, text
from cx.analysis.filters import Filters
from cx.analysis.metrics import Metric

PAGE_SIZE = 20
ORDERS = {"newest": "Newest first", "negative": "Most negative first"}
SURVEYS = {"nps": "NPS", "csat": "CSAT", "ces": "CES", "rating10": "Rating"}
NO_SENTIMENT = "none"  # comments in a language without a scorer
VIEW_PARAMS = ("q", "survey", "band", "theme", "sentiment", "lang", "sort", "page")


@dataclass(frozen=True)
class CommentView:
    """What the Comments page shows on top of the global filters."""

    search: str = ""
    survey: str | None = None
    bands: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    sentiments: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    order: str = "newest"
    page: int = 1
    page_size: int = field(default=PAGE_SIZE, compare=False)

    @classmethod
    def from_query_params(cls, params: Mapping[str, str | list[str]]) -> CommentView:
        """Tolerant: unknown values are dropped, a bad page number is page 1."""

        def many(name: str) -> tuple[str, ...]:
            value = params.get(name, [])
            return tuple(dict.fromkeys([value] if isinstance(value, str) else list(value)))

        def one(name: str) -> str:
            values = many(name)
            return values[0] if values else ""

        try:
            page = max(1, int(one("page") or 1))
        except ValueError:
            page = 1
        bands = tuple(b for b in many("band") if b in text.BAND_LABELS)
        survey = one("survey") if one("survey") in SURVEYS else None
        return cls(
            search=one("q").strip()[:200],
            survey=survey,
            bands=bands,
            themes=many("theme"),
            sentiments=tuple(s for s in many("sentiment") if s in (*text.SENTIMENTS, NO_SENTIMENT)),
            languages=many("lang"),
            order=one("sort") if one("sort") in ORDERS else "newest",
            page=page,
        )

    def to_query_params(self) -> dict[str, str | list[str]]:
        params: dict[str, str | list[str]] = {
            "q": self.search,
            "survey": self.survey or "",
            "band": list(self.bands),
            "theme": list(self.themes),
            "sentiment": list(self.sentiments),
            "lang": list(self.languages),
            "sort": "" if self.order == "newest" else self.order,
            "page": "" if self.page == 1 else str(self.page),
        }
        return {k: v for k, v in params.items() if v}

    def changed(self, **changes) -> CommentView:
        """The view with some choices changed; any change but the page goes back to page 1."""
        return replace(self, **{"page": 1, **changes})


def _band_predicate(table: ir.Table, bands: tuple[str, ...]) -> ir.BooleanValue:
    predicate = ibis.literal(False)
    for survey, ranges in text.BANDS.items():
        for band, (low, high) in ranges.items():
            if band in bands:
                predicate |= (table.survey == survey) & table.score.between(low, high)
    return predicate


def _mentioning(backend: ibis.BaseBackend, names: tuple[str, ...]) -> ir.Table:
    mentions, themes = backend.table("comment_themes"), backend.table("themes")
    return mentions.join(themes, mentions.theme_id == themes.theme_id).filter(themes.name.isin(names))


def matching(backend: ibis.BaseBackend, filters: Filters, view: CommentView, every_question: bool = True) -> ir.Table:
    """Commented responses matching the global filters and the view, with their analysis.

    Every question's comments by default: the no-pooling rule is for figures, and a comment stored with
    a survey's second question is still what that customer said. A figure (the theme impact) passes
    `every_question=False` to weigh only the headline question of each survey, as every other figure does."""
    responses = global_filters.responses(backend, filters, per=("question",) if every_question else ())
    responses = responses.filter(responses.comment.notnull() & (responses.comment.strip() != ""))
    analysis = backend.table("comment_analysis").select(
        "response_id", "language", "sentiment", "sentiment_label", "scorer", "search_text"
    )
    table = responses.left_join(analysis, responses.response_id == analysis.response_id).drop("response_id_right")
    if view.survey:
        table = table.filter(table.survey == view.survey)
    if view.bands:
        table = table.filter(_band_predicate(table, view.bands))
    if view.languages:
        table = table.filter(table.language.fill_null(text.UNKNOWN_LANGUAGE).isin(view.languages))
    if view.sentiments:
        table = table.filter(table.sentiment_label.fill_null(NO_SENTIMENT).isin(view.sentiments))
    if view.themes:
        table = table.filter(table.response_id.isin(_mentioning(backend, view.themes).response_id))
    # Search reads the masked, folded text: "nao" finds "não", and nobody finds a comment by the
    # e-mail address it hides. A comment not yet analysed is searched in plain lower case.
    # DuckDB's full-text extension cannot be had offline (it is downloaded on first use, and no package
    # ships it for DuckDB 1.5), so search scans this column, stored at import: the cheap `contains`
    # narrows the rows first and the word-start pattern (what an index would match) checks only those.
    # Measured at 100,000 comments: about 7 ms for the scan, the page query dominates (`python -m cx bench`).
    searched = table.search_text.fill_null(table.comment.lower())
    for term in text.search_terms(view.search):
        table = table.filter(searched.contains(term) & searched.re_search(text.word_start_pattern(term)))
    return table


def comment_page(backend: ibis.BaseBackend, filters: Filters, view: CommentView) -> tuple[pd.DataFrame, int]:
    """One page of matching comments, masked, with the customer and theme names; and how many match."""
    table = matching(backend, filters, view)
    total = int(table.count().execute())
    if view.order == "negative":
        # Sentiment where a scorer exists; the score (as a share of its scale) breaks ties and ranks the rest.
        scaled = ibis.cases(
            (table.survey == "nps", table.score / 10.0),
            (table.survey == "csat", (table.score - 1) / 4.0),
            (table.survey == "ces", (table.score - 1) / 6.0),
            else_=(table.score - 1) / 9.0,
        )
        table = table.order_by([table.sentiment.asc(nulls_first=False), scaled.asc(), table.responded_at.desc()])
    else:
        table = table.order_by([table.responded_at.desc(), table.response_id])
    start = (max(view.page, 1) - 1) * view.page_size
    rows = table.limit(view.page_size, offset=start)
    customers = backend.table("customers").select("customer_id", "name", "segment")
    rows = rows.left_join(customers, rows.customer_id == customers.customer_id).drop("customer_id_right")
    frame = rows.select(
        "response_id", "responded_at", "survey", "score", "comment", "touchpoint", "channel", "customer_id",
        "name", "segment", "language", "sentiment", "sentiment_label", "scorer",
    ).execute()  # fmt: skip
    if view.order == "negative":
        frame = frame.sort_values(["sentiment", "score"], na_position="last", kind="stable")
    else:
        frame = frame.sort_values("responded_at", ascending=False, kind="stable")
    frame["comment"] = frame["comment"].map(privacy.mask_text)
    frame["themes"] = _theme_names(backend, frame["response_id"].tolist())
    return frame.reset_index(drop=True), total


def _theme_names(backend: ibis.BaseBackend, response_ids: list[str]) -> list[list[str]]:
    if not response_ids:
        return []
    mentions, themes = backend.table("comment_themes"), backend.table("themes")
    joined = mentions.filter(mentions.response_id.isin(response_ids)).join(themes, "theme_id")
    found = joined.select("response_id", "name", "weight").execute()
    found = found.sort_values("weight", ascending=False).drop_duplicates(["response_id", "name"])
    by_response = found.groupby("response_id")["name"].apply(list).to_dict()
    return [by_response.get(r, []) for r in response_ids]


def export_frame(backend: ibis.BaseBackend, filters: Filters, view: CommentView, limit: int = 50_000) -> pd.DataFrame:
    """Every matching comment (up to `limit`) for a download, masked like the screen."""
    table = matching(backend, filters, view).order_by(ibis.desc("responded_at")).limit(limit)
    # The customer's name as the page shows it: through `backend`, so masked for a viewer (cx.analysis.scope).
    customers = backend.table("customers").select("customer_id", "name")
    table = table.left_join(customers, table.customer_id == customers.customer_id).drop("customer_id_right")
    frame = table.select("response_id", "responded_at", "survey", "score", "comment", "touchpoint", "channel",
                         "customer_id", "name", "language", "sentiment", "sentiment_label")  # fmt: skip
    frame = frame.order_by(ibis.desc("responded_at"), "response_id").execute()
    frame["comment"] = frame["comment"].map(privacy.mask_text)
    return frame


def options(backend: ibis.BaseBackend) -> dict[str, list[str]]:
    """Values the page's own filters offer: theme names and languages present."""
    themes = backend.table("themes")
    names = themes.group_by("name").aggregate(comments=themes.comments.sum()).order_by(ibis.desc("comments"))
    languages = backend.table("comment_analysis").language.value_counts().execute()
    return {
        "themes": names.execute()["name"].tolist(),
        "languages": languages.sort_values(languages.columns[1], ascending=False).iloc[:, 0].tolist(),
    }


def themes_table(backend: ibis.BaseBackend) -> pd.DataFrame:
    """The stored themes for the manage-themes panel: id, name, source, keyphrases, terms, comments."""
    frame = backend.table("themes").order_by(ibis.desc("comments")).execute()
    for column in ("keyphrases", "terms"):
        frame[column] = frame[column].map(json.loads)
    return frame


def rules_table(backend: ibis.BaseBackend) -> pd.DataFrame:
    frame = backend.table("theme_rules").order_by("name").execute()
    frame["keywords"] = frame["keywords"].map(json.loads)
    return frame


# --- theme impact ------------------------------------------------------------------------------


def impact_survey(backend: ibis.BaseBackend, filters: Filters, view: CommentView) -> str | None:
    """NPS when the view asks for it or has NPS comments; else CSAT; None without either."""
    if view.survey in text.BANDS:
        return view.survey
    table = matching(backend, filters, CommentView())
    counts = table.survey.value_counts().execute().set_index("survey").iloc[:, 0].to_dict()
    return next((s for s in ("nps", "csat") if counts.get(s)), None)


def theme_impact(backend: ibis.BaseBackend, filters: Filters, survey: str) -> pd.DataFrame:
    """text.theme_impact over the commented answers of one survey under the global filters."""
    all_answers = global_filters.responses(backend, filters, survey=survey)
    answers = matching(backend, filters, CommentView(survey=survey), every_question=False)
    answers = answers.select("response_id", "score").execute()
    mentions = _mentions(backend, answers["response_id"])
    return text.theme_impact(answers, mentions, survey, int(all_answers.count().execute()))


def view_themes(backend: ibis.BaseBackend, filters: Filters, view: CommentView) -> pd.DataFrame:
    """What the comments in view talk about: each theme's share of them, with a 95% Wilson interval.

    Unlike the theme impact, this follows the page's own filters (search, band, theme…) too: after a
    drill to "CSAT 1–2 at Billing inquiry in July" it says what those very comments are about.
    Columns theme, mentions, comments, share (%), ci_low, ci_high, small; most mentioned first.
    """
    ids = matching(backend, filters, view.changed()).select("response_id").execute()["response_id"]
    found = _mentions(backend, ids).groupby("theme")["response_id"].nunique().sort_values(ascending=False)
    estimates = [stats.proportion(int(m), len(ids)) for m in found]
    return pd.DataFrame(
        {
            "theme": found.index.astype(str),
            "mentions": found.to_numpy(dtype=int),
            "comments": len(ids),
            "share": [e.value for e in estimates],
            "ci_low": [e.ci_low for e in estimates],
            "ci_high": [e.ci_high for e in estimates],
            "small": [stats.is_small(len(ids)) for _ in estimates],
        }
    ).reset_index(drop=True)


THEME_SHARE = Metric(
    key="theme_share",
    label="Share of comments",
    unit="%",
    higher_is_better=False,
    help="Share of the commented answers in the period that mention the theme.",
    source="responses",
    decimals=1,
)


def theme_trend(backend: ibis.BaseBackend, filters: Filters, grain: str = "M") -> pd.DataFrame:
    """Share of comments per theme and period, in the shape charts.trend draws (group, period, value…)."""
    commented = matching(backend, filters, CommentView()).select("response_id", "responded_at").execute()
    frame = text.theme_trend(_mentions(backend, commented["response_id"]), commented, grain)
    return frame.assign(group=frame["theme"], value=frame["share"], n=frame["comments"],
                        small=[stats.is_small(n) for n in frame["comments"]])  # fmt: skip


def _mentions(backend: ibis.BaseBackend, response_ids: pd.Series) -> pd.DataFrame:
    mentions, themes = backend.table("comment_themes"), backend.table("themes")
    joined = mentions.join(themes, "theme_id").select("response_id", theme=themes.name).distinct().execute()
    return joined[joined["response_id"].isin(set(response_ids))]
