"""Comments page under AppTest: on the demo data, on a database with hostile and Portuguese comments, and
"the comments behind this" links from the Journey and the Overview."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from cx.ingest import comments
from tests.app.conftest import open_page
from tests.conftest import build_db

PAGE = "pages/5_Comments.py"
PERIOD = {"from": "2026-03-01", "to": "2026-03-31"}


def comment_texts(at) -> list[str]:
    """The comment bodies: the markdown in bordered containers, i.e. those followed by a caption."""
    return [m.value for m in at.markdown if m.value and not m.value.startswith(("<", "**", "#"))]


def captions(at) -> list[str]:
    """Caption texts as a reader sees them (without md()'s backslash escapes)."""
    return [c.value.replace("\\", "") for c in at.caption]


def comments_database(path: Path) -> Path:
    start = datetime(2026, 3, 2, 9)
    customers = [{"customer_id": "C1", "name": "Ana Souza", "segment": "SMB"},
                 {"customer_id": "C2", "name": "Bob Jones", "segment": "Enterprise"}]  # fmt: skip
    texts = [
        ("I was charged twice and never got a refund", 2, "C1", "Billing inquiry"),
        ("Refund still missing, write to me at bob@example.com", 1, "C2", "Billing inquiry"),
        ("Não gostei, o reembolso não veio", 3, "C1", "Billing inquiry"),
        ("<script>alert(1)</script> [click](https://evil.example) :red[refund]", 4, "C2", "Web app"),
        ("Great app, love it", 10, "C2", "Web app"),
        ("Servicio excelente, muy rápido", 9, "C1", "Web app"),
    ]
    responses = []
    for i in range(60):  # enough answers for the impact to be computed
        text, score, customer, touchpoint = texts[i % len(texts)]
        responses.append({"response_id": f"R{i:03d}", "customer_id": customer, "responded_at": start + timedelta(hours=i),
                          "survey": "nps", "score": score, "comment": text, "touchpoint": touchpoint})  # fmt: skip
    build_db(path, customers=customers, responses=responses)
    comments.refresh(path)
    return path


@pytest.fixture(scope="module")
def small_db(tmp_path_factory) -> Path:
    return comments_database(tmp_path_factory.mktemp("comments") / "cx.duckdb")


@pytest.fixture
def app_db(small_db, use_database) -> Path:
    return use_database(small_db)


def test_the_demo_comments_are_listed_newest_first_with_their_score_and_customer(demo_app_db):
    at = open_page(PAGE)
    assert not at.exception
    assert any("comments match" in c for c in captions(at))
    shown = [c for c in captions(at) if " · " in c and ("NPS" in c or "CSAT" in c or "CES" in c)]
    assert len(shown) == 20  # one page
    assert not at.get("plotly_chart") == []  # the theme impact chart


def test_the_demo_has_a_second_language_with_experimental_sentiment(demo_app_db):
    at = open_page(PAGE, {"lang": "pt"})
    assert not at.exception
    shown = [c for c in captions(at) if "Portuguese" in c]
    assert shown and all("experimental" in c or "no sentiment" in c for c in shown)


def test_search_highlights_matches_whatever_the_accents(app_db):
    at = open_page(PAGE, {**PERIOD, "q": "reembolso"})
    assert not at.exception
    texts = [t for t in comment_texts(at) if "reembolso" in t.lower()]
    assert len(texts) == 10 and all(":orange-background[**reembolso**]" in t for t in texts)
    assert "10 comments match" in " ".join(captions(at))


def test_hostile_comment_text_is_shown_as_text(app_db):
    at = open_page(PAGE, {**PERIOD, "q": "script"})
    texts = [t for t in comment_texts(at) if "script" in t]
    assert texts and all("<script>" not in t and "](" not in t and ":red[" not in t for t in texts)


def test_e_mail_addresses_are_masked_on_screen_and_not_searchable(app_db):
    at = open_page(PAGE, PERIOD)
    assert not any("bob@example.com" in t for t in comment_texts(at))
    assert any("e\\-mail" in t for t in comment_texts(at))
    searched = open_page(PAGE, {**PERIOD, "q": "bob@example"})
    assert "No comment matches" in " ".join(i.value for i in searched.info)


def test_a_band_filter_keeps_only_detractors(app_db):
    at = open_page(PAGE, {**PERIOD, "band": "detractor"})
    scores = [int(c.split(" · ")[0].split()[-1]) for c in captions(at) if c.startswith("NPS ")]
    assert scores and max(scores) <= 6


def test_most_negative_first_puts_the_lowest_sentiment_on_top(app_db):
    at = open_page(PAGE, {**PERIOD, "sort": "negative", "lang": "en"})
    shown = [c for c in captions(at) if "English" in c and "no sentiment" not in c]
    sentiments = [float(c.split("(")[-1].split(")")[0].split(",")[0]) for c in shown]
    assert sentiments == sorted(sentiments)


def test_a_language_without_a_scorer_shows_no_sentiment(app_db):
    at = open_page(PAGE, {**PERIOD, "lang": "es"})
    shown = [c for c in captions(at) if "Spanish" in c]
    assert shown and all("no sentiment" in c for c in shown)


def test_pages_move_on_with_next(app_db):
    at = open_page(PAGE, PERIOD)
    assert "page 1 of 3" in " ".join(captions(at))
    at.button(key="cm_next").click().run()
    assert at.query_params["page"] in ("2", ["2"])
    assert "page 2 of 3" in " ".join(captions(at))


def test_the_touchpoint_filter_on_the_page_is_the_global_one(app_db):
    at = open_page(PAGE, {**PERIOD, "touchpoint": "Billing inquiry"})
    assert "30 comments match" in " ".join(captions(at))
    assert all("Billing inquiry" in c for c in captions(at) if c.startswith("NPS "))


def test_a_theme_rule_pinned_on_the_page_becomes_a_theme(small_db, use_database, tmp_path):
    copy = tmp_path / "cx.duckdb"
    copy.write_bytes(small_db.read_bytes())
    use_database(copy)
    at = open_page(PAGE, PERIOD)
    at.text_input(key="cm_rule_name").input("Billing")
    at.text_input(key="cm_rule_words").input("refund, reembolso")
    at.button(key="cm_rule_go").click().run()
    assert not at.exception
    at = open_page(PAGE, {**PERIOD, "theme": "Billing"})
    assert "40 comments match" in " ".join(captions(at))  # 3 of the 6 texts say refund or reembolso, 1 ":red[refund]"


def test_the_journey_links_a_touchpoint_to_its_comments_with_the_same_filters(demo_app_db):
    at = open_page("pages/2_Journey.py", {"touchpoint": "Billing inquiry", "segment": "SMB"})
    links = [link for link in at.get("page_link") if "Comments behind" in link.proto.label]
    assert len(links) == 1
    params = parse_qs(links[0].proto.query_string)
    assert params["touchpoint"] == ["Billing inquiry"] and params["segment"] == ["SMB"]
    assert params["survey"] == ["csat"] and params["sort"] == ["negative"] and "from" in params


def test_overview_survey_tiles_link_to_their_comments(demo_app_db):
    at = open_page(None, {"region": "Europe"})
    links = {link.proto.label: parse_qs(link.proto.query_string) for link in at.get("page_link")}
    nps, csat = links["The comments behind NPS"], links["The comments behind CSAT"]
    assert nps["survey"] == ["nps"] and nps["region"] == ["Europe"] and csat["survey"] == ["csat"]


def test_one_match_is_said_in_the_singular(tmp_path, use_database):
    responses = [{"response_id": "R1", "responded_at": datetime(2026, 3, 2, 9), "survey": "nps", "score": 3,
                  "comment": "The zeppelin never arrived"},
                 {"response_id": "R2", "responded_at": datetime(2026, 3, 3, 9), "survey": "nps", "score": 9,
                  "comment": "Quick and friendly"}]  # fmt: skip
    use_database(build_db(tmp_path / "cx.duckdb", responses=responses))
    comments.refresh(tmp_path / "cx.duckdb")
    at = open_page(PAGE, {**PERIOD, "q": "zeppelin"})
    said = " ".join(captions(at))
    assert "1 comment matches" in said and "comments match" not in said and "page 1 of 1" not in said
    headlines = " ".join(m.value for m in at.markdown)
    assert "Of these 1" not in headlines and ("This comment mentions" in headlines or "talk about" not in headlines)


def test_themes_too_rarely_mentioned_to_weigh_say_so_instead_of_a_cost(app_db):
    # Two days of March: 48 comments, each of the six texts at most 8 times: no theme has 30 mentions.
    at = open_page(PAGE, {"from": "2026-03-02", "to": "2026-03-03"})
    said = " ".join(m.value for m in at.markdown)
    assert "Too few comments to weigh any theme against NPS" in said and "costs the most" not in said


def test_a_shift_worth_a_look_on_trends_links_to_that_months_comments_at_that_touchpoint(demo_app_db):
    at = open_page("pages/1_Trends.py", {"metric": "csat"})
    assert not at.exception
    links = [parse_qs(link.proto.query_string) for link in at.get("page_link") if link.proto.label == "Comments"]
    billing = [p for p in links if p.get("touchpoint") == ["Billing inquiry"] and p.get("survey") == ["csat"]]
    assert billing, links
    first, last = billing[0]["from"][0], billing[0]["to"][0]
    assert first.endswith("-01") and first[:7] == last[:7] and int(last[-2:]) >= 28  # one calendar month
    assert billing[0]["sort"] == ["negative"]


def test_the_comments_in_view_are_summed_up_by_theme_with_intervals(app_db):
    at = open_page(PAGE, {**PERIOD, "touchpoint": "Billing inquiry"})
    said = " ".join(m.value for m in at.markdown)
    assert "Of these 30 comments" in said and "(95% " in said
    assert "What these comments talk about" in [h.value for h in at.subheader]


def test_an_imported_portuguese_survey_shows_which_themes_cost_nps_with_intervals(tmp_path, use_database):
    import csv
    import io

    from cx.ingest import import_file
    from cx.ingest.demo_comments import planted_comments

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Carimbo de data/hora", "Em uma escala de 0 a 10, qual a probabilidade de você nos recomendar?",
                     "Por que você deu essa nota?"])  # fmt: skip
    for i, row in enumerate(planted_comments(400, portuguese_share=1.0, seed=2).itertuples()):
        writer.writerow([f"{1 + i % 28:02d}/03/2026 {i % 24:02d}:00:00", row.nps, row.text])
    path = tmp_path / "cx.duckdb"
    import_file(out.getvalue().encode(), file_name="pesquisa.csv", db=path)
    use_database(path)
    at = open_page(PAGE, {**PERIOD, "survey": "nps"})
    assert not at.exception
    said = " ".join(m.value for m in at.markdown).replace("\\", "")
    assert "costs the most" in said and "NPS points (95% " in said
    assert "Reembolso" in said or "Fatura" in said or "Cobrado" in said  # the planted billing theme, in Portuguese
    shown = [c for c in captions(at) if c.startswith("NPS ")]
    assert shown and all("Portuguese" in c and "experimental" in c for c in shown)
