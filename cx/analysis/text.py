"""What customers say: language, sentiment and themes of comments, and what each theme costs.

Pure functions over lists and DataFrames; nothing here reads or writes the database (that is
`cx.ingest.comments`, run after an import). Everything runs offline: lingua's language models,
VADER's and LeIA's lexicons and YAKE's stop-word lists ship inside their pinned PyPI packages.

- Language: lingua, asked to tell apart only the languages people write to us in (`LANGUAGES`), so
  that a three-word comment is not called Yoruba. Too short or too unsure → unknown (None).
- Sentiment: routed by language. English → VADER (trusted). Portuguese → LeIA, a VADER fork with a
  machine-translated lexicon: weaker, so shown as "experimental". Any other language gets no
  sentiment at all: an English lexicon scoring Spanish text would call most of it neutral and be
  believed.
- Themes: TF-IDF (stop words of every language in the corpus) → NMF into 8–20 themes, each labelled
  by YAKE keyphrases of its most typical comments. Leaders' renames and merges (a name kept against a
  theme's top terms) and pinned keyword rules ("refund", "reembolso" → Billing) are applied on every
  recomputation, so they survive it.
- Impact: per theme, NPS (or CSAT) of the comments mentioning it against those that do not, with a
  95% interval, Benjamini–Hochberg across themes, and the headline points it costs.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cx.analysis import stats

# --- language ----------------------------------------------------------------------------------

LANGUAGES: dict[str, str] = {
    "en": "English",
    "pt": "Portuguese",
    "es": "Spanish",
    "de": "German",
    "fr": "French",
    "it": "Italian",
    "nl": "Dutch",
}
UNKNOWN_LANGUAGE = "unknown"
MIN_LETTERS_FOR_LANGUAGE = 3  # "ok", "no", "👍": no language can be told from these


@functools.cache
def _detector():
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [getattr(IsoCode639_1, code.upper()) for code in LANGUAGES]
    # A small minimum distance: for a short comment, refuse to guess between close calls.
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_minimum_relative_distance(0.05).build()


def detect_languages(texts: Sequence[str]) -> list[str]:
    """ISO 639-1 code of each text's language among `LANGUAGES`, or "unknown"."""
    result = [UNKNOWN_LANGUAGE] * len(texts)
    todo = [i for i, text in enumerate(texts) if sum(c.isalpha() for c in str(text)) >= MIN_LETTERS_FOR_LANGUAGE]
    if not todo:
        return result
    detected = _detector().detect_languages_in_parallel_of([str(texts[i]) for i in todo])
    for i, language in zip(todo, detected, strict=True):
        if language is not None:
            result[i] = language.iso_code_639_1.name.lower()
    return result


def language_name(code: str | None) -> str:
    return LANGUAGES.get(code or "", "Unknown")


# --- sentiment ---------------------------------------------------------------------------------

POSITIVE_FROM = 0.05  # VADER's own thresholds on the compound score (Hutto & Gilbert 2014)
NEGATIVE_UNTIL = -0.05
SENTIMENTS = ("positive", "neutral", "negative")


@dataclass(frozen=True)
class Scorer:
    """A sentiment scorer for one language: a VADER-style analyser whose lexicon ships in a package."""

    language: str
    name: str
    experimental: bool
    load: Callable[[], object] = field(repr=False, compare=False)

    @functools.cached_property
    def analyser(self):
        return self.load()

    def score(self, text: str) -> float:
        """Compound score in -1..1."""
        return float(self.analyser.polarity_scores(text)["compound"])


# Words VADER scores as feelings that customer comments use as the names of things: "support" is the
# support team ("Billing support kept me on hold for ages" came out positive), "credit" an account credit.
TOPIC_WORDS_EN = ("support", "credit")


def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyser = SentimentIntensityAnalyzer()
    for word in TOPIC_WORDS_EN:
        analyser.lexicon.pop(word, None)
    return analyser


def _leia():
    from LeIA import SentimentIntensityAnalyzer, leia

    analyser = SentimentIntensityAnalyzer()
    # LeIA's lexicon scores "nao" itself (-1.2), and VADER's algorithm applies a negation only when the
    # negating word is not a lexicon word: so "não gostei" came out positive. Without the negators in
    # the lexicon, they negate what follows, as in English VADER.
    for negator in leia.NEGATE:
        analyser.lexicon.pop(negator, None)
    return analyser


SCORERS: dict[str, Scorer] = {
    "en": Scorer("en", "VADER", experimental=False, load=_vader),
    "pt": Scorer("pt", "LeIA (VADER for Portuguese)", experimental=True, load=_leia),
}


def sentiment_label(compound: float | None) -> str | None:
    if compound is None or (isinstance(compound, float) and math.isnan(compound)):
        return None
    if compound >= POSITIVE_FROM:
        return "positive"
    if compound <= NEGATIVE_UNTIL:
        return "negative"
    return "neutral"


def score_sentiment(text: str, language: str) -> tuple[float | None, str | None]:
    """(compound score, scorer name) for a text in `language`; (None, None) where we have no scorer."""
    scorer = SCORERS.get(language)
    if scorer is None:
        return None, None
    return scorer.score(text), scorer.name


def fold(text: str) -> str:
    """Lower case without accents: what search compares, so "nao" finds "não" and "Cafe" finds "café"."""
    decomposed = unicodedata.normalize("NFKD", str(text).casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def analyse_comments(
    comments: pd.DataFrame, progress: Callable[[float, str], None] | None = None, mask: Callable[[str], str] = str
) -> pd.DataFrame:
    """Language, sentiment and search text of each comment (columns response_id, comment).

    Identical comments are analysed once. `mask` (the privacy masking) is applied to the search text,
    so that nobody can find a comment by the e-mail address it hides.
    """
    report = progress or (lambda fraction, text: None)
    unique = pd.Series(comments["comment"].astype(str).unique())
    languages: list[str] = []
    step = 2000
    for first in range(0, len(unique), step):
        languages += detect_languages(unique.iloc[first : first + step].tolist())
        report(min(1.0, (first + step) / max(len(unique), 1)) * 0.6, "Telling the languages apart")
    scores, scorers = [], []
    for index, (text, language) in enumerate(zip(unique, languages, strict=True)):
        score, scorer = score_sentiment(text, language)
        scores.append(score)
        scorers.append(scorer)
        if index % step == 0:
            report(0.6 + 0.4 * index / max(len(unique), 1), "Scoring sentiment")
    by_text = pd.DataFrame(
        {
            "comment": unique,
            "language": languages,
            "sentiment": pd.array(scores, dtype="Float64"),
            "scorer": scorers,
            "search_text": [fold(mask(t)) for t in unique],
        }
    )
    by_text["sentiment_label"] = [sentiment_label(s) if s is not pd.NA else None for s in by_text["sentiment"]]
    report(1.0, "Sentiment scored")
    frame = comments[["response_id", "comment"]].assign(comment=comments["comment"].astype(str))
    return frame.merge(by_text, on="comment", how="left").drop(columns="comment")


# --- themes ------------------------------------------------------------------------------------

MIN_THEMES, MAX_THEMES = 8, 20
MENTION_SHARE = 0.25  # a comment mentions a theme when the theme carries this share of its NMF weight
TOP_TERMS = 10  # a theme's signature: its top terms, against which renames are kept
SAME_THEME_OVERLAP = 0.5  # share of top terms two themes must share to be "the same" across runs
_STOPWORDS_DIR = "core/StopwordsList"
_WORD = r"(?u)\b[^\W\d_][^\W\d_]+\b"  # words of two or more letters; numbers are not themes


@functools.cache
def stop_words(language: str) -> frozenset[str]:
    """YAKE's stop-word list for a language (ISO 639-1), empty when it has none."""
    import yake

    path = Path(yake.__file__).parent / _STOPWORDS_DIR / f"stopwords_{language[:2]}.txt"
    if not path.exists():
        return frozenset()
    words = path.read_text(encoding="utf-8", errors="replace").split()
    return frozenset(w.casefold() for w in words)


@dataclass(frozen=True)
class ThemeRule:
    """A pinned keyword rule: comments with any of these words belong to the theme `name`."""

    name: str
    keywords: tuple[str, ...]

    def pattern(self) -> re.Pattern:
        # A keyword matches at the start of a word, accents and case ignored: "refund" finds "Refunds".
        words = sorted({fold(k).strip() for k in self.keywords if k.strip()}, key=len, reverse=True)
        return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in words) + ")") if words else re.compile("(?!)")


@dataclass(frozen=True)
class ThemeName:
    """A leader's rename (or merge, when two themes get the same name), kept against the theme's top terms."""

    terms: tuple[str, ...]
    name: str


@dataclass
class Themes:
    """themes: theme_id, name, source (model | rule), keyphrases, terms, comments;
    mentions: row (index into the input), theme_id, weight."""

    themes: pd.DataFrame
    mentions: pd.DataFrame


def theme_count(distinct_comments: int, comments: int | None = None) -> int:
    """How many themes to ask NMF for: 8 to 20, more for more comments, never more than distinct comments."""
    wanted = round(math.sqrt((comments or distinct_comments) / 2))
    return max(1, min(max(MIN_THEMES, min(MAX_THEMES, wanted)), distinct_comments))


def _overlap(a: Iterable[str], b: Iterable[str]) -> float:
    a, b = set(a), set(b)
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


def _keyphrases(texts: list[str], language: str, terms: list[str], top: int = 3) -> list[str]:
    """YAKE keyphrases of a theme's most typical comments, those holding its top terms first."""
    import yake

    extractor = yake.KeywordExtractor(lan=language if stop_words(language) else "en", n=2, top=12, dedup_lim=0.7)
    try:
        found = [phrase for phrase, _ in extractor.extract_keywords(" . ".join(texts))]
    except (ValueError, ZeroDivisionError):  # YAKE gives up on text with no usable words
        found = []
    key_terms = set(terms[:3])
    ranked = [p for p in found if key_terms & set(fold(p).split())] + [
        p for p in found if not key_terms & set(fold(p).split())
    ]
    phrases: list[str] = []
    for phrase in ranked:
        if not re.fullmatch(r"[\w' -]+", phrase):  # "all.I", "8/10": pieces of a sentence, not a name
            continue
        phrase = phrase.lower() if phrase.isupper() and len(phrase) > 3 else phrase  # "WORKS" is shouting, "USB" a name
        if not any(fold(phrase) in fold(kept) or fold(kept) in fold(phrase) for kept in phrases):
            phrases.append(phrase)
        if len(phrases) == top:
            break
    return phrases or terms[:top]


def extract_themes(
    texts: Sequence[str],
    languages: Sequence[str],
    *,
    n_themes: int | None = None,
    rules: Sequence[ThemeRule] = (),
    names: Sequence[ThemeName] = (),
    progress: Callable[[float, str], None] | None = None,
) -> Themes:
    """Themes of a corpus of comments, with leaders' names and pinned rules applied."""
    from scipy.sparse import diags
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    report = progress or (lambda fraction, text: None)
    texts = [str(t) for t in texts]
    codes, uniques = pd.factorize(pd.Series(texts, dtype=object))  # input row → its distinct text
    frame = pd.DataFrame({"code": codes, "language": list(languages)})
    distinct = frame.groupby("code").agg(count=("code", "size"), language=("language", "first"))
    distinct.index = pd.Index(uniques, name="text")

    theme_rows: list[dict] = []
    mention_parts: list[pd.DataFrame] = []
    present = {lang for lang in distinct["language"].unique() if lang != UNKNOWN_LANGUAGE} or {"en"}
    # One vocabulary for a mixed corpus: the stop words of every language in it. An English comment
    # loses nothing to Portuguese stop words ("de", "que") and vice versa.
    stop = set().union(*(stop_words(lang) for lang in present))
    stop = sorted(stop | set(re.findall(_WORD, " ".join(stop))))  # "don't" → "don" too, as the tokens are cut
    report(0.1, "Finding themes")
    model_themes = 0
    if len(distinct) >= 2:
        vectoriser = TfidfVectorizer(
            stop_words=stop or None,
            token_pattern=_WORD,
            ngram_range=(1, 2),
            min_df=2 if len(distinct) >= 200 else 1,
            max_df=0.5 if len(distinct) >= 50 else 1.0,
            max_features=5_000,
            sublinear_tf=True,
        )
        try:
            matrix = vectoriser.fit_transform(distinct.index)
        except ValueError:  # nothing but stop words
            matrix = None
        if matrix is not None and matrix.shape[1] >= 2:
            vocabulary = np.array(vectoriser.get_feature_names_out())
            k = min(n_themes or theme_count(len(distinct), len(texts)), matrix.shape[0], matrix.shape[1])
            # Identical comments enter once, their row scaled by √count: for NMF's squared loss that is
            # exactly the same as repeating the row count times, at a fraction of the cost.
            repeat = np.sqrt(distinct["count"].to_numpy(dtype=float))
            scaled = diags(repeat) @ matrix
            model = NMF(n_components=k, init="nndsvda", max_iter=400, random_state=0)
            weights = model.fit_transform(scaled) / repeat[:, None]
            components = model.components_
            report(0.7, "Naming themes")
            norms = np.linalg.norm(components, axis=1)
            norms[norms == 0] = 1
            weights = weights * norms  # comparable across themes
            totals = weights.sum(axis=1, keepdims=True)
            shares = np.divide(weights, totals, out=np.zeros_like(weights), where=totals > 0)
            texts_index = distinct.index.to_numpy()
            for theme in range(k):
                order = np.argsort(components[theme])[::-1]
                terms = [str(vocabulary[i]) for i in order[:TOP_TERMS] if components[theme][i] > 0]
                members = np.flatnonzero(shares[:, theme] >= MENTION_SHARE)
                if not len(members) or not terms:
                    continue
                typical = members[np.argsort(weights[members, theme])[::-1][:40]]
                language = distinct["language"].iloc[typical].mode().iloc[0]
                phrases = _keyphrases(texts_index[typical].tolist(), language, terms)
                theme_id = len(theme_rows) + 1
                theme_rows.append({"theme_id": theme_id, "name": None, "source": "model", "keyphrases": phrases,
                                   "terms": terms})  # fmt: skip
                mention_parts.append(
                    pd.DataFrame({"code": members, "theme_id": theme_id, "weight": shares[members, theme]})
                )
                model_themes += 1
    _name_themes(theme_rows, names)

    folded = [fold(t) for t in distinct.index]
    for rule in rules:
        pattern = rule.pattern()
        hits = [code for code, f in enumerate(folded) if pattern.search(f)]
        theme_id = len(theme_rows) + 1
        theme_rows.append({"theme_id": theme_id, "name": rule.name, "source": "rule",
                           "keyphrases": list(rule.keywords), "terms": [fold(k) for k in rule.keywords]})  # fmt: skip
        if hits:
            mention_parts.append(pd.DataFrame({"code": hits, "theme_id": theme_id, "weight": 1.0}))
    report(0.95, "Themes found")
    themes = pd.DataFrame(theme_rows, columns=["theme_id", "name", "source", "keyphrases", "terms"])
    by_code = (
        pd.concat(mention_parts, ignore_index=True)
        if mention_parts
        else pd.DataFrame(
            {"code": pd.Series(dtype="int64"), "theme_id": pd.Series(dtype="int64"), "weight": pd.Series(dtype=float)}
        )
    )
    # Back from distinct texts to every input row that holds one.
    rows = pd.DataFrame({"row": np.arange(len(codes)), "code": codes})
    mentions = rows.merge(by_code, on="code").drop(columns="code")[["row", "theme_id", "weight"]]
    counts = mentions.groupby("theme_id")["row"].nunique()
    themes["comments"] = themes["theme_id"].map(counts).fillna(0).astype(int)
    return Themes(themes=themes, mentions=mentions)


def _name_themes(theme_rows: list[dict], names: Sequence[ThemeName]) -> None:
    """A leader's name where a theme's top terms match the terms it was named against; else YAKE's."""
    used: set[str] = set()
    for row in theme_rows:
        best = max(names, key=lambda n: _overlap(n.terms, row["terms"]), default=None)
        if best is not None and _overlap(best.terms, row["terms"]) >= SAME_THEME_OVERLAP:
            row["name"] = best.name  # two themes named alike are one theme: that is how a merge is kept
            continue
        # Two keyphrases, not one: NMF's themes are clusters, and "Awesome" alone hid a theme of devices
        # that do not work ("Awesome · things" invites a look). A leader renames it once; that is kept.
        phrases = row["keyphrases"] or row["terms"]
        name = " · ".join([phrases[0].capitalize(), *phrases[1:2]])
        if name in used and len(phrases) > 2:
            name = f"{name} · {phrases[2]}"
        row["name"] = name
        used.add(name)


# --- impact ------------------------------------------------------------------------------------

BANDS = {
    "nps": {"detractor": (0, 6), "passive": (7, 8), "promoter": (9, 10)},
    "csat": {"csat_low": (1, 2), "csat_mid": (3, 3), "csat_high": (4, 5)},
}
BAND_LABELS = {
    "promoter": "Promoters (9–10)",
    "passive": "Passives (7–8)",
    "detractor": "Detractors (0–6)",
    "csat_low": "CSAT 1–2",
    "csat_mid": "CSAT 3",
    "csat_high": "CSAT 4–5",
}


@dataclass(frozen=True)
class Impact:
    """One theme against the rest of the comments, in the survey's headline unit."""

    theme: str
    mentions: int  # answers with a comment mentioning the theme
    share: float  # % of commented answers
    with_theme: stats.Estimate
    without_theme: stats.Estimate
    difference: float | None  # with - without, points
    difference_low: float | None
    difference_high: float | None
    p_value: float | None
    points_lost: float | None  # headline points the theme costs
    points_lost_low: float | None
    points_lost_high: float | None


def _counts(scores: np.ndarray, survey: str) -> tuple[int, int, int]:
    """(good, middle, bad): promoters/passives/detractors for NPS; 4–5 / 3 / 1–2 for CSAT."""
    if survey == "nps":
        return int((scores >= 9).sum()), int(((scores >= 7) & (scores <= 8)).sum()), int((scores <= 6).sum())
    return int((scores >= 4).sum()), int((scores == 3).sum()), int((scores <= 2).sum())


def _estimate(scores: np.ndarray, survey: str) -> tuple[stats.Estimate, float | None, float]:
    """(estimate, value as a fraction, per-answer variance) for NPS or CSAT top-2-box."""
    good, middle, bad = _counts(scores, survey)
    n = good + middle + bad
    if survey == "nps":
        estimate = stats.nps(good, middle, bad)
        if not n:
            return estimate, None, 0.0
        p, d = good / n, bad / n
        return estimate, p - d, max(p + d - (p - d) ** 2, 0.0)
    estimate = stats.proportion(good, n)
    if not n:
        return estimate, None, 0.0
    p = good / n
    return estimate, p, p * (1 - p)


def theme_impact(answers: pd.DataFrame, mentions: pd.DataFrame, survey: str, total_answers: int) -> pd.DataFrame:
    """Each theme's share and its effect on NPS (or CSAT top-2-box), with 95% intervals and BH.

    `answers`: response_id and score of the commented answers of one survey in view;
    `mentions`: response_id, theme (name) of the comments that mention a theme;
    `total_answers`: all answers of the survey in view, commented or not (the headline's n).

    Points lost: if the answers mentioning the theme (m of the N in the headline) scored like the
    commented answers that do not mention it, the headline would move by (m / N)·(without − with).
    Its interval is (m / N) times the difference's Wald interval (m / N taken as fixed).
    """
    scores = answers.set_index("response_id")["score"]
    commented = len(scores)
    rows = []
    for theme, ids in mentions.groupby("theme")["response_id"]:
        inside = scores.index.isin(ids.unique())
        m = int(inside.sum())
        if not m:
            continue
        with_est, with_value, with_var = _estimate(scores[inside].to_numpy(), survey)
        without_est, without_value, without_var = _estimate(scores[~inside].to_numpy(), survey)
        difference = low = high = p_value = lost = lost_low = lost_high = None
        if with_value is not None and without_value is not None:
            difference = 100.0 * (with_value - without_value)
            se = math.sqrt(with_var / m + without_var / (commented - m))
            # The Wald test needs enough answers on both sides: 5 comments that all say "refund" and all
            # score 1 have zero variance, and would come out "certain". A small side gets no test at all,
            # so it is neither marked nor counted in the false-discovery control ("n too small").
            if stats.is_small(m) or stats.is_small(commented - m):
                p_value = None
            elif se > 0:
                p_value = float(2 * stats._scipy.norm.sf(abs(difference / 100.0 / se)))
            else:
                p_value = 1.0 if difference == 0 else 0.0
            low, high = difference - stats.Z95 * 100 * se, difference + stats.Z95 * 100 * se
            weight = m / max(total_answers, commented)
            lost, lost_low, lost_high = -difference * weight, -high * weight, -low * weight
        rows.append(
            Impact(
                str(theme),
                m,
                100.0 * m / commented,
                with_est,
                without_est,
                difference,
                low,
                high,
                p_value,
                lost,
                lost_low,
                lost_high,
            )  # fmt: skip
        )
    q_values = stats.bh_adjusted([row.p_value for row in rows])
    significant = stats.benjamini_hochberg([row.p_value for row in rows])
    frame = pd.DataFrame(
        {
            "theme": [r.theme for r in rows],
            "mentions": [r.mentions for r in rows],
            "share": [r.share for r in rows],
            "with_value": [r.with_theme.value for r in rows],
            "with_ci_low": [r.with_theme.ci_low for r in rows],
            "with_ci_high": [r.with_theme.ci_high for r in rows],
            "without_value": [r.without_theme.value for r in rows],
            "without_n": [r.without_theme.n for r in rows],
            "difference": [r.difference for r in rows],
            "difference_low": [r.difference_low for r in rows],
            "difference_high": [r.difference_high for r in rows],
            "p_value": [r.p_value for r in rows],
            "q_value": q_values,
            "significant": significant,
            "points_lost": [r.points_lost for r in rows],
            "points_lost_low": [r.points_lost_low for r in rows],
            "points_lost_high": [r.points_lost_high for r in rows],
            "small": [stats.is_small(r.mentions) or stats.is_small(r.without_theme.n) for r in rows],
        }
    )
    return frame.sort_values("points_lost", ascending=False, na_position="last").reset_index(drop=True)


def impact_bars(impact: pd.DataFrame) -> pd.DataFrame:
    """Theme impact in the shape charts.ranked_bars reads: points lost with its interval, FDR flag."""
    bars = impact.rename(columns={"points_lost": "value", "mentions": "n", "points_lost_low": "ci_low",
                                  "points_lost_high": "ci_high"})  # fmt: skip
    flag = np.where(bars["significant"] & (bars["value"] > 0), "worse",
                    np.where(bars["significant"] & (bars["value"] < 0), "better", None))  # fmt: skip
    return bars.assign(direction=flag)


def theme_trend(mentions: pd.DataFrame, commented: pd.DataFrame, grain: str = "M") -> pd.DataFrame:
    """Share of commented answers mentioning each theme per period.

    `commented`: response_id, responded_at of every commented answer in view; `mentions`: response_id, theme.
    Returns period, theme, mentions, comments, share (%), ci_low, ci_high (Wilson).
    """
    periods = commented.assign(period=pd.to_datetime(commented["responded_at"]).dt.to_period(grain).dt.start_time)
    per_period = periods.groupby("period")["response_id"].nunique().rename("comments")
    joined = mentions.merge(periods[["response_id", "period"]], on="response_id")
    counts = joined.groupby(["period", "theme"])["response_id"].nunique().rename("mentions").reset_index()
    grid = pd.MultiIndex.from_product([per_period.index, sorted(mentions["theme"].unique())], names=["period", "theme"])
    frame = pd.DataFrame(index=grid).reset_index().merge(counts, how="left", on=["period", "theme"])
    frame["mentions"] = frame["mentions"].fillna(0).astype(int)
    frame = frame.merge(per_period.reset_index(), on="period")
    estimates = [stats.proportion(int(x), int(n)) for x, n in zip(frame["mentions"], frame["comments"], strict=True)]
    return frame.assign(
        share=[e.value for e in estimates], ci_low=[e.ci_low for e in estimates], ci_high=[e.ci_high for e in estimates]
    )


# --- search highlighting -----------------------------------------------------------------------


def search_terms(query: str) -> list[str]:
    """The words of a search box, folded; "quoted phrases" kept whole."""
    phrases = re.findall(r'"([^"]+)"', query or "")
    rest = re.sub(r'"[^"]*"', " ", query or "")
    return [fold(t) for t in [*phrases, *rest.split()] if t.strip()]


# A search term matches at the start of a word, as a full-text index would: "refund" finds "refunds" and
# "Refunded", "app" finds "app" and "apps" but not "happy" or "disappointed". A term that starts with a
# sign ("@", "#12") matches anywhere. DuckDB's regular expressions are RE2's: \p{L} is any letter.
_RE2_WORD_START = r"(?:^|[^\p{L}\p{N}_])"
_RE2_SPECIAL = set(r"\.+*?()|[]{}^$-")


def _starts_a_word(term: str) -> bool:
    return bool(term) and (term[0].isalnum() or term[0] == "_")


def word_start_pattern(term: str) -> str:
    """The RE2 pattern (DuckDB's `regexp_matches`) that finds a folded term at the start of a word."""
    escaped = "".join("\\" + c if c in _RE2_SPECIAL else c for c in term)
    return (_RE2_WORD_START if _starts_a_word(term) else "") + escaped


def match_spans(text: str, terms: Sequence[str]) -> list[tuple[int, int]]:
    """(start, end) of every occurrence of the folded terms in `text`, merged, in order."""
    if not terms:
        return []
    # Fold character by character so positions in the folded text map back to the original.
    folded_chars, origin = [], []
    for position, char in enumerate(text):
        for piece in fold(char):
            folded_chars.append(piece)
            origin.append(position)
    folded = "".join(folded_chars)
    spans = []
    for term in terms:
        for found in re.finditer(("(?<!\\w)" if _starts_a_word(term) else "") + re.escape(term), folded):
            spans.append((origin[found.start()], origin[found.end() - 1] + 1))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
