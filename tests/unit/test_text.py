"""Language, sentiment, themes and theme impact of comments (cx.analysis.text), offline."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from cx.analysis import text
from cx.app.comments_page import highlight
from cx.ingest.demo_comments import PLANTED_THEMES, planted_comments

# Hand-labelled: what a person reading the comment would call it.
ENGLISH = [
    ("not good at all", "negative"),
    ("I love this product, works great", "positive"),
    ("The support was terrible and slow", "negative"),
    ("It was okay.", "neutral"),
    ("Not bad, actually quite helpful", "positive"),
    ("I was charged twice and never got a refund", "negative"),
    ("Great service, thank you!", "positive"),
    ("Nobody got back to me", "negative"),
    ("The app keeps crashing, very frustrating", "negative"),
    ("Delivery arrived on time and the staff were friendly", "positive"),
    ("I would not recommend this to anyone", "negative"),
    ("Does the job.", "neutral"),
]
PORTUGUESE = [
    ("não gostei", "negative"),
    ("Adorei o atendimento, muito rápido", "positive"),
    ("O atendimento foi péssimo", "negative"),
    ("Produto excelente, recomendo", "positive"),
    ("Fui cobrado duas vezes e ninguém resolveu", "negative"),
    ("Não recomendo, muito ruim", "negative"),
    ("Gostei muito do aplicativo", "positive"),
    ("A entrega atrasou e o produto veio quebrado", "negative"),
    ("Ótimo suporte, resolveram na hora", "positive"),
    ("Não funcionou, quero meu dinheiro de volta", "negative"),
    ("Muito bom, obrigado", "positive"),
    ("Esperei horas e ninguém me atendeu", "negative"),
]
LANGUAGE_SAMPLE = [
    ("The delivery was late and nobody called me back", "en"),
    ("Great support team, solved my issue in minutes", "en"),
    ("I cannot log in to the app since the update", "en"),
    ("O atendimento foi rápido e resolveram meu problema", "pt"),
    ("Fui cobrado duas vezes na fatura deste mês", "pt"),
    ("Não consigo acessar o aplicativo desde ontem", "pt"),
    ("La entrega llegó tarde y nadie me llamó", "es"),
    ("El servicio al cliente fue excelente, gracias", "es"),
    ("No puedo iniciar sesión en la aplicación", "es"),
    ("Die Lieferung kam zu spät und niemand hat angerufen", "de"),
    ("Der Kundenservice war sehr freundlich und schnell", "de"),
    ("Ich kann mich seit dem Update nicht anmelden", "de"),
]


def labelled(sample: list[tuple[str, str]], language: str) -> list[str | None]:
    return [text.sentiment_label(text.score_sentiment(sentence, language)[0]) for sentence, _ in sample]


def accuracy(sample: list[tuple[str, str]], language: str) -> float:
    return sum(got == want for got, (_, want) in zip(labelled(sample, language), sample, strict=True)) / len(sample)


def test_languages_are_told_apart_on_a_hand_labelled_sample():
    detected = text.detect_languages([sentence for sentence, _ in LANGUAGE_SAMPLE])
    assert detected == [language for _, language in LANGUAGE_SAMPLE]


def test_too_short_a_comment_has_no_language():
    assert text.detect_languages(["ok", "👍", ""]) == ["unknown"] * 3


def test_english_negation_is_negative():
    assert labelled([("not good at all", ""), ("I would not recommend this to anyone", "")], "en") == ["negative"] * 2


def test_portuguese_negation_is_negative():
    # LeIA alone scores "não gostei" positive: its lexicon lists "não" itself, which disables VADER's negation.
    assert labelled([("não gostei", ""), ("não recomendo", "")], "pt") == ["negative"] * 2


def test_english_vader_agrees_with_the_hand_labels_mostly():
    assert accuracy(ENGLISH, "en") >= 10 / 12


def test_portuguese_lexicon_is_weaker_and_marked_experimental():
    assert accuracy(PORTUGUESE, "pt") >= 7 / 12
    assert text.SCORERS["pt"].experimental and not text.SCORERS["en"].experimental


@pytest.mark.parametrize("language", ["es", "de", "unknown"])
def test_a_language_without_a_trusted_scorer_gets_no_sentiment_rather_than_english_scores(language):
    assert text.score_sentiment("El servicio fue excelente", language) == (None, None)


def test_analysed_comments_are_routed_by_their_language():
    comments = pd.DataFrame(
        {
            "response_id": ["a", "b", "c", "d"],
            "comment": [
                "not good at all",
                "não gostei nada disso",
                "El servicio fue horrible y lento",
                "not good at all",
            ],
        }
    )
    analysed = text.analyse_comments(comments).set_index("response_id")
    assert analysed.loc["a", "language"] == "en" and analysed.loc["a", "sentiment_label"] == "negative"
    assert analysed.loc["b", "language"] == "pt" and analysed.loc["b", "scorer"].startswith("LeIA")
    assert analysed.loc["c", "language"] == "es" and pd.isna(analysed.loc["c", "sentiment"])
    assert analysed.loc["d", "sentiment"] == analysed.loc["a", "sentiment"]


def test_search_text_is_masked_and_folded():
    comments = pd.DataFrame({"response_id": ["a"], "comment": ["Não recebi o REEMBOLSO, escreva para ana@mail.com"]})
    analysed = text.analyse_comments(comments, mask=lambda t: t.replace("ana@mail.com", "[e-mail]"))
    assert analysed.loc[0, "search_text"] == "nao recebi o reembolso, escreva para [e-mail]"


# --- themes ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def planted():
    corpus = planted_comments(1200, seed=3)
    themes = text.extract_themes(corpus["text"].tolist(), corpus["language"].tolist())
    return corpus, themes


def test_the_number_of_themes_stays_between_8_and_20():
    assert text.theme_count(50) == 8
    assert text.theme_count(100_000) == 20
    assert text.theme_count(3) == 3  # never more themes than distinct comments


def test_planted_themes_are_recovered_in_each_language(planted):
    corpus, themes = planted
    mentions = themes.mentions.merge(themes.themes[["theme_id", "name"]], on="theme_id")
    mentions = mentions.assign(planted=corpus["theme"].to_numpy()[mentions["row"]])
    for theme in PLANTED_THEMES:
        for language in ("en", "pt"):
            rows = corpus.index[(corpus["theme"] == theme.name) & (corpus["language"] == language)]
            # Some found theme holds most of this planted theme's comments and little else.
            found = mentions[mentions["row"].isin(rows)].groupby("theme_id")["row"].nunique()
            best = found.idxmax()
            members = mentions[mentions["theme_id"] == best]
            recall = found.max() / len(rows)
            purity = (members["planted"] == theme.name).mean()
            assert recall >= 0.3 and purity >= 0.8, (theme.name, language, recall, purity)


def test_every_theme_is_named_by_keyphrases_of_its_comments(planted):
    _, themes = planted
    assert themes.themes["name"].str.len().gt(0).all()
    assert themes.themes["keyphrases"].map(len).gt(0).all()
    assert 8 <= len(themes.themes) <= 20


def test_the_planted_billing_theme_costs_nps_significantly(planted):
    corpus, _ = planted
    billing = next(t for t in PLANTED_THEMES if t.name == "billing")
    rule = text.ThemeRule("Billing", billing.keywords)
    themes = text.extract_themes(corpus["text"].tolist(), corpus["language"].tolist(), rules=[rule])
    named = themes.mentions.merge(themes.themes[["theme_id", "name"]], on="theme_id")
    answers = pd.DataFrame({"response_id": corpus.index.astype(str), "score": corpus["nps"]})
    mentions = pd.DataFrame({"response_id": named["row"].astype(str), "theme": named["name"]})
    impact = text.theme_impact(answers, mentions, "nps", total_answers=len(corpus)).set_index("theme")
    row = impact.loc["Billing"]
    assert row["significant"] and row["difference"] < 0 and row["points_lost_low"] > 0


def test_a_pinned_rule_catches_its_keywords_in_any_case_and_accent():
    rule = text.ThemeRule("Billing", ("refund", "reembolso"))
    themes = text.extract_themes(
        ["Where is my REFUNDS?", "o Reembolsó não veio", "great app", "slow delivery", "nice staff"],
        ["en", "pt", "en", "en", "en"],
        rules=[rule],
    )
    billing = themes.themes.loc[themes.themes["name"] == "Billing", "theme_id"].item()
    assert sorted(themes.mentions.loc[themes.mentions["theme_id"] == billing, "row"]) == [0, 1]


def test_a_leaders_name_is_kept_when_the_same_theme_comes_back(planted):
    corpus, themes = planted
    first = themes.themes.iloc[0]
    renamed = text.extract_themes(
        corpus["text"].tolist(), corpus["language"].tolist(), names=[text.ThemeName(tuple(first["terms"]), "Our name")]
    )
    assert renamed.themes.loc[renamed.themes["terms"].map(tuple) == tuple(first["terms"]), "name"].tolist() == [
        "Our name"
    ]


def test_two_themes_given_one_name_are_merged(planted):
    corpus, themes = planted
    a, b = themes.themes.iloc[0], themes.themes.iloc[1]
    names = [text.ThemeName(tuple(a["terms"]), "Merged"), text.ThemeName(tuple(b["terms"]), "Merged")]
    merged = text.extract_themes(corpus["text"].tolist(), corpus["language"].tolist(), names=names)
    assert (merged.themes["name"] == "Merged").sum() == 2
    assert merged.themes["name"].nunique() == len(merged.themes) - 1


# --- impact by hand ----------------------------------------------------------------------------


def test_theme_impact_matches_a_hand_computation():
    # With the theme: 0, 0, 9, 10 → NPS 0. Without: 9, 9, 9, 10, 7, 0 → NPS 50. 20 answers in all.
    answers = pd.DataFrame({"response_id": list("abcdefghij"), "score": [0, 0, 9, 10, 9, 9, 9, 10, 7, 0]})
    mentions = pd.DataFrame({"response_id": list("abcd"), "theme": "Billing"})
    row = text.theme_impact(answers, mentions, "nps", total_answers=20).iloc[0]
    se = math.sqrt(1.0 / 4 + (5 / 6 - 0.25) / 6)  # p + d − (p − d)² per group, over n
    assert row["mentions"] == 4 and row["share"] == pytest.approx(40.0)
    assert row["with_value"] == pytest.approx(0.0) and row["without_value"] == pytest.approx(50.0)
    assert row["difference"] == pytest.approx(-50.0)
    assert row["difference_low"] == pytest.approx(-50 - 1.959964 * 100 * se, abs=1e-4)
    assert row["points_lost"] == pytest.approx(10.0)  # 4/20 of the answers, 50 points each
    assert row["points_lost_high"] == pytest.approx(0.2 * (50 + 1.959964 * 100 * se), abs=1e-4)


def test_csat_impact_is_in_top_two_box_points():
    answers = pd.DataFrame({"response_id": list("abcdef"), "score": [1, 2, 5, 5, 4, 3]})
    mentions = pd.DataFrame({"response_id": ["a", "b"], "theme": "Billing"})
    row = text.theme_impact(answers, mentions, "csat", total_answers=6).iloc[0]
    assert row["with_value"] == pytest.approx(0.0) and row["without_value"] == pytest.approx(75.0)
    assert row["points_lost"] == pytest.approx(2 / 6 * 75.0)


def test_theme_share_per_month_counts_each_comment_once():
    commented = pd.DataFrame(
        {
            "response_id": list("abcd"),
            "responded_at": pd.to_datetime(["2026-01-03", "2026-01-20", "2026-02-01", "2026-02-02"]),
        }
    )
    mentions = pd.DataFrame({"response_id": ["a", "a", "c"], "theme": ["Billing", "Billing", "Billing"]})
    trend = text.theme_trend(mentions, commented)
    assert trend["share"].tolist() == [50.0, 50.0]


# --- search highlighting -----------------------------------------------------------------------


def test_a_match_is_found_whatever_the_accents_and_case():
    assert text.match_spans("Não recebi o Reembolso", text.search_terms("nao reembolso")) == [(0, 3), (13, 22)]


def test_highlighting_never_lets_comment_text_become_markup():
    comment = "<script>alert(1)</script> [refund](https://evil.example) :red[refund]"
    rendered = highlight(comment, text.search_terms("refund"))
    assert "<script>" not in rendered and "](" not in rendered and ":red[" not in rendered
    assert rendered.count(":orange-background[**") == 2


def test_a_theme_mentioned_in_too_few_comments_is_never_marked_significant():
    # 5 comments that all score 0 against 95 that all score 10: Wald's variance is zero on both sides.
    answers = pd.DataFrame({"response_id": [f"r{i}" for i in range(100)], "score": [0] * 5 + [10] * 95})
    mentions = pd.DataFrame({"response_id": [f"r{i}" for i in range(5)], "theme": "Billing"})
    row = text.theme_impact(answers, mentions, "nps", total_answers=100).iloc[0]
    assert row["small"] and not row["significant"] and row["p_value"] is None
    assert row["points_lost"] == pytest.approx(10.0)  # 5/100 of the answers, 200 points each: still shown, greyed


@pytest.mark.parametrize(
    ("comment", "query", "found"),
    [
        ("I want my refunds back", "refund", True),  # a word's start: plurals and tenses are found
        ("So happy with it", "app", False),  # not inside another word
        ("The App crashed", "app", True),
        ("Não recebi o reembolso", "nao reembolso", True),
        ("c++ support (v2.1) is fine", '"(v2.1)"', True),  # signs in a phrase are literal
        ("order #1234 never came", "#12", True),  # a term starting with a sign matches anywhere
        ("nothing here", "a.b", False),
    ],
)
def test_search_finds_words_from_their_start_in_the_database_and_in_the_highlight(comment, query, found):
    import duckdb

    terms = text.search_terms(query)
    con = duckdb.connect()
    in_sql = all(
        con.execute("SELECT regexp_matches(?, ?)", [text.fold(comment), text.word_start_pattern(t)]).fetchone()[0]
        for t in terms
    )
    spans = text.match_spans(comment, terms)
    assert in_sql is found
    assert bool(spans) is found  # the highlight marks exactly what the search found


@pytest.mark.parametrize(
    "comment",
    ["Billing support kept me on hold for ages.", "Support never answered my e-mail.",
     "They gave me a credit and it still does not work"],
)  # fmt: skip
def test_the_support_team_is_a_topic_not_a_feeling(comment):
    score, _ = text.score_sentiment(comment, "en")
    assert text.sentiment_label(score) != "positive"  # VADER's own lexicon scores "support" +1.7, "credit" +1.6
