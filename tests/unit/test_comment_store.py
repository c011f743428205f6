"""The comment analysis step writes languages, sentiment and themes to the database, keeps leaders' edits."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta

import duckdb
import pytest

from cx.ingest import comments
from cx.ingest.demo_comments import planted_comments
from tests.conftest import ROOT, build_db


def survey_db(path, n: int = 300):
    corpus = planted_comments(n, seed=5)
    start = datetime(2026, 1, 1)
    rows = [
        {"response_id": f"R{i:04d}", "customer_id": None, "responded_at": start + timedelta(hours=i), "survey": "nps",
         "score": int(r.nps), "comment": r.text}
        for i, r in enumerate(corpus.itertuples())
    ]  # fmt: skip
    rows.append({"response_id": "RX", "responded_at": start, "survey": "nps", "score": 3,
                 "comment": "Mail me at ana@mail.com or call +44 20 7946 0958"})  # fmt: skip
    rows.append({"response_id": "RY", "responded_at": start, "survey": "nps", "score": 9, "comment": "   "})
    return build_db(path, responses=rows)


def sql(path, query, params=()):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(query, params).fetchall()
    finally:
        con.close()


def test_every_commented_response_is_analysed_and_blank_ones_are_not(db_file):
    survey_db(db_file)
    run = comments.refresh(db_file)
    assert run.comments == run.analysed == 301
    assert sql(db_file, "SELECT count(*) FROM comment_analysis WHERE response_id = 'RY'") == [(0,)]
    assert sql(db_file, "SELECT DISTINCT language FROM comment_analysis ORDER BY 1") == [("en",), ("pt",)]


def test_the_original_comment_is_kept_and_search_text_is_masked(db_file):
    survey_db(db_file)
    comments.refresh(db_file)
    assert sql(db_file, "SELECT comment FROM responses WHERE response_id = 'RX'")[0][0].startswith("Mail me at ana@")
    search = sql(db_file, "SELECT search_text FROM comment_analysis WHERE response_id = 'RX'")[0][0]
    assert "ana@" not in search and "7946" not in search


def test_unchanged_comments_are_not_analysed_again(db_file):
    survey_db(db_file)
    comments.refresh(db_file)
    con = duckdb.connect(str(db_file))
    con.execute("UPDATE responses SET comment = 'not good at all' WHERE response_id = 'R0001'")
    con.close()
    run = comments.refresh(db_file)
    assert run.analysed == 1
    assert sql(db_file, "SELECT sentiment_label FROM comment_analysis WHERE response_id = 'R0001'") == [("negative",)]


def test_themes_are_stored_with_comment_weights(db_file):
    survey_db(db_file)
    comments.refresh(db_file)
    themes = sql(db_file, "SELECT count(*) FROM themes")[0][0]
    assert 8 <= themes <= 20
    weights = sql(db_file, "SELECT min(weight), max(weight), count(DISTINCT response_id) FROM comment_themes")[0]
    assert 0 < weights[0] <= weights[1] <= 1 and weights[2] > 250


def test_a_rename_and_a_pinned_rule_survive_recomputation(db_file):
    survey_db(db_file)
    comments.refresh(db_file)
    theme_id, terms = sql(db_file, "SELECT theme_id, terms FROM themes WHERE source = 'model' ORDER BY theme_id")[0]
    comments.rename_theme(theme_id, "Renamed by a leader", db_file)
    comments.pin_rule("Billing", ["refund", "reembolso"], db_file)
    comments.refresh(db_file)
    assert sql(db_file, "SELECT name FROM themes WHERE terms = ?", [terms]) == [("Renamed by a leader",)]
    pinned = sql(db_file, """SELECT count(*) FROM comment_themes JOIN themes USING (theme_id) WHERE name = 'Billing'""")
    refunds = sql(
        db_file, "SELECT count(*) FROM responses WHERE comment ILIKE '%refund%' OR comment ILIKE '%reembolso%'"
    )
    assert pinned == refunds and pinned[0][0] > 0


def test_merging_is_renaming_into_another_themes_name(db_file):
    survey_db(db_file)
    comments.refresh(db_file)
    (a, a_name), (b, _) = sql(db_file, "SELECT theme_id, name FROM themes WHERE source = 'model' ORDER BY theme_id")[:2]
    comments.rename_theme(b, a_name, db_file)
    comments.refresh(db_file)
    assert sql(db_file, "SELECT count(*) FROM themes WHERE name = ?", [a_name]) == [(2,)]


def test_the_themes_command_recomputes_for_a_scheduled_job(db_file):
    survey_db(db_file)
    done = subprocess.run([sys.executable, "-m", "cx", "themes", "--db", str(db_file), "--quiet"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "301 comments" in done.stdout
    assert sql(db_file, "SELECT count(*) FROM comment_analysis") == [(301,)]


def test_an_import_of_survey_responses_analyses_their_comments(db_file, tmp_path):
    survey = tmp_path / "survey.csv"
    survey.write_bytes(
        b"response_id,date,nps,comment\n"
        b"1,2026-01-05,2,I was charged twice and never got a refund\n"
        b"2,2026-01-06,10,Great service thank you\n"
        b"3,2026-01-07,3,N\xc3\xa3o gostei do atendimento\n"
    )
    done = subprocess.run([sys.executable, "-m", "cx", "import", str(survey), "--db", str(db_file), "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert sql(db_file, "SELECT language, sentiment_label FROM comment_analysis ORDER BY response_id") == [
        ("en", "negative"), ("en", "positive"), ("pt", "negative"),
    ]  # fmt: skip


def _survey_csv(rows: list[tuple[int, str]], first_id: int) -> bytes:
    lines = ["response_id,date,nps,comment"]
    lines += [f"S{first_id + i},2026-01-{1 + i % 28:02d},{score},{text}" for i, (score, text) in enumerate(rows)]
    return "\n".join(lines).encode()


def test_undoing_an_import_leaves_its_comments_out_of_every_theme(db_file):
    from cx.ingest import import_file, undo_import

    corpus = planted_comments(200, seed=7)
    kept = import_file(_survey_csv([(int(r.nps), r.text.replace(",", " ")) for r in corpus.itertuples()], 0),
                       file_name="kept.csv", db=db_file)  # fmt: skip
    parking = [
        (2 + 8 * (i % 2), f"The parking garage was full and the parking ticket machine broken {i}") for i in range(60)
    ]
    undone = import_file(_survey_csv(parking, 1000), file_name="parking.csv", db=db_file)
    assert sql(db_file, "SELECT count(*) FROM themes WHERE terms LIKE '%parking%'")[0][0] >= 1
    undo_import(undone.import_id, db=db_file)
    # Nothing of the undone file is left: no analysis, no mention, no theme made of its words...
    assert sql(db_file, "SELECT count(*) FROM comment_analysis") == [(kept.imported,)]
    assert sql(db_file, "SELECT count(*) FROM comment_themes WHERE response_id NOT IN "
                        "(SELECT response_id FROM responses)") == [(0,)]  # fmt: skip
    assert sql(db_file, "SELECT count(*) FROM themes WHERE terms LIKE '%parking%'") == [(0,)]
    # ...and each theme counts exactly the remaining comments that mention it.
    assert sql(db_file, """SELECT count(*) FROM themes t WHERE comments <> (SELECT count(DISTINCT response_id)
                           FROM comment_themes m WHERE m.theme_id = t.theme_id)""") == [(0,)]  # fmt: skip


def test_an_undo_forgets_the_removed_comments_inside_its_own_transaction(db_file):
    """Even before the themes are recomputed, no theme counts a comment the undo removed."""
    survey_db(db_file)
    comments.refresh(db_file)
    con = duckdb.connect(str(db_file))
    before = con.execute("SELECT sum(comments) FROM themes").fetchall()[0][0]
    mentioned = con.execute("SELECT count(*) FROM comment_themes WHERE response_id < 'R0100'").fetchall()[0][0]
    con.execute("DELETE FROM responses WHERE response_id < 'R0100'")
    forgotten = comments.forget_removed(con)
    after = con.execute("SELECT sum(comments) FROM themes").fetchall()[0][0]
    con.close()
    assert forgotten == 100
    assert before - after == mentioned > 0


def test_the_themes_of_the_comments_in_view_are_their_share_of_those_comments(db_file):
    from datetime import date

    from cx.analysis import comments as comment_views
    from cx.analysis.filters import Filters
    from cx.store import db

    survey_db(db_file)
    comments.refresh(db_file)
    refunds = {r for (r,) in sql(db_file, "SELECT response_id FROM responses WHERE comment ILIKE '%refund%'")}
    mentioned = sql(db_file, """SELECT t.name, count(DISTINCT m.response_id) FROM comment_themes m
                                JOIN themes t USING (theme_id) WHERE m.response_id IN (SELECT response_id FROM
                                responses WHERE comment ILIKE '%refund%') GROUP BY 1""")  # fmt: skip
    with db.reading(db_file) as backend:
        shares = comment_views.view_themes(backend, Filters(date(2025, 1, 1), date(2027, 1, 1)),
                                           comment_views.CommentView(search="refund"))  # fmt: skip
    assert set(shares["comments"]) == {len(refunds)}
    assert dict(zip(shares["theme"], shares["mentions"], strict=True)) == dict(mentioned)
    top = shares.iloc[0]
    assert top["share"] == pytest.approx(100 * top["mentions"] / len(refunds))
    assert top["ci_low"] < top["share"] <= top["ci_high"]


def test_the_comment_benchmark_times_each_step_and_the_search():
    steps = comments.benchmark(300)
    names = [name for name, _, _ in steps]
    assert any(n.startswith("language + sentiment") for n in names) and any(n.startswith("themes") for n in names)
    assert names[-1].startswith("search of the stored text, 300 comments")
    assert all(wall >= 0 and cpu >= 0 for _, wall, cpu in steps)
