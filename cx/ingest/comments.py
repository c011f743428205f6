"""The comment analysis step: after an import, read the comments, write language, sentiment and themes.

Runs at import time (and by `python -m cx themes`, and the demo build), never on page load. Comments
whose text has not changed keep their language and sentiment; themes are recomputed over every
comment, with the leaders' renames, merges and pinned rules applied again. The database is only
held open for writing while the results are written, so the dashboard keeps serving meanwhile.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from cx.analysis import privacy, text, units
from cx.store import db

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class CommentsRun:
    comments: int  # commented responses in the database
    analysed: int  # of which (re-)analysed now
    themes: int  # distinct theme names
    seconds: float

    def line(self) -> str:
        return (
            f"{units.counted(self.comments, 'comment')} ({self.analysed:,} newly analysed), "
            f"{units.counted(self.themes, 'theme')}, in {self.seconds:.1f} s"
        )


def _read(path) -> tuple[pd.DataFrame, pd.DataFrame, list[text.ThemeRule], list[text.ThemeName]]:
    con = db.connect(db.ensure_database(path), read_only=True)
    try:
        comments = con.execute(
            """SELECT response_id, comment, md5(comment) AS comment_md5
               FROM responses
               WHERE comment IS NOT NULL AND trim(comment) <> ''
               ORDER BY response_id"""
        ).df()
        analysed = con.execute("SELECT response_id, comment_md5, language FROM comment_analysis").df()
        rules = [text.ThemeRule(name, tuple(json.loads(words)))
                 for name, words in con.execute("SELECT name, keywords FROM theme_rules ORDER BY name").fetchall()]  # fmt: skip
        names = [text.ThemeName(tuple(json.loads(terms)), name)
                 for terms, name in con.execute("SELECT terms, name FROM theme_names ORDER BY named_at").fetchall()]  # fmt: skip
    finally:
        con.close()
    return comments, analysed, rules, names


def refresh(path=None, *, progress: Progress | None = None) -> CommentsRun:
    """Analyse new or changed comments and recompute the themes of all of them."""
    started = time.perf_counter()
    report = progress or (lambda fraction, message: None)
    report(0.0, "Reading comments")
    comments, analysed, rules, names = _read(path)
    known = comments.merge(analysed, on=["response_id", "comment_md5"], how="left")
    todo = known[known["language"].isna()][["response_id", "comment", "comment_md5"]]
    fresh = text.analyse_comments(
        todo, progress=lambda f, message: report(0.05 + 0.45 * f, message), mask=privacy.mask_text
    )
    fresh = fresh.merge(todo[["response_id", "comment_md5"]], on="response_id")
    languages = known.set_index("response_id")["language"].astype(object)
    languages.update(fresh.set_index("response_id")["language"])
    themes = text.extract_themes(
        comments["comment"].tolist(),
        languages.reindex(comments["response_id"]).fillna(text.UNKNOWN_LANGUAGE).tolist(),
        rules=rules,
        names=names,
        progress=lambda f, message: report(0.5 + 0.4 * f, message),
    )
    report(0.9, "Saving themes")
    _write(path, comments, fresh, themes)
    report(1.0, "Comments analysed")
    return CommentsRun(
        comments=len(comments),
        analysed=len(fresh),
        themes=themes.themes["name"].nunique(),
        seconds=time.perf_counter() - started,
    )


def _write(path, comments: pd.DataFrame, fresh: pd.DataFrame, themes: text.Themes) -> None:
    now = datetime.now()
    table = themes.themes.assign(
        keyphrases=themes.themes["keyphrases"].map(lambda v: json.dumps(list(v), ensure_ascii=False)),
        terms=themes.themes["terms"].map(lambda v: json.dumps(list(v), ensure_ascii=False)),
        computed_at=now,
    )[["theme_id", "name", "source", "keyphrases", "terms", "comments", "computed_at"]]
    mentions = themes.mentions.assign(response_id=comments["response_id"].to_numpy()[themes.mentions["row"]])
    # One comment can meet the same theme name twice (a model theme and a rule): keep one row per theme id.
    mentions = mentions.groupby(["response_id", "theme_id"], as_index=False)["weight"].max()
    current = comments[["response_id", "comment_md5"]]
    analysis = fresh.assign(analysed_at=now)[["response_id", "comment_md5", "language", "sentiment",
                                              "sentiment_label", "scorer", "search_text", "analysed_at"]]  # fmt: skip
    with db.writing(path) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            con.register("current_comments", current)
            con.register("fresh_analysis", analysis)
            con.register("new_themes", table)
            con.register("new_mentions", mentions)
            # Comments that are gone or have changed lose their old analysis.
            con.execute(
                """DELETE FROM comment_analysis AS a
                   WHERE NOT EXISTS (SELECT 1 FROM current_comments c
                                     WHERE c.response_id = a.response_id AND c.comment_md5 = a.comment_md5)"""
            )
            con.execute("INSERT INTO comment_analysis SELECT * FROM fresh_analysis")
            con.execute("DELETE FROM comment_themes")
            con.execute("DELETE FROM themes")
            con.execute("INSERT INTO themes SELECT * FROM new_themes")
            con.execute("INSERT INTO comment_themes SELECT response_id, theme_id, weight FROM new_mentions")
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise


def after_import(kind: str, imported: int, path=None, progress: Progress | None = None) -> str | None:
    """The hook an import calls: when it brought survey responses, analyse the comments.

    Returns a note for the import's result when the analysis could not run; the import itself stands.
    """
    if "responses" not in (kind or "") or not imported:
        return None
    try:
        refresh(path, progress=progress)
    except Exception as error:  # the import is written; a failed analysis must not look like a failed import
        return f"The comments were imported but not analysed ({error}). Run: python -m cx themes"
    return None


def forget_removed(con) -> int:
    """Inside an undo's transaction: drop the analysis of comments whose response is gone, recount the
    themes and drop model themes left with no comment. Returns how many comments were forgotten.

    The themes are consistent the moment the undo commits; `after_undo` then recomputes them over the
    comments that remain, as an import does."""
    gone = """NOT EXISTS (SELECT 1 FROM responses r WHERE r.response_id = {table}.response_id
                             AND r.comment IS NOT NULL AND trim(r.comment) <> '')"""
    forgotten = con.execute(f"DELETE FROM comment_analysis WHERE {gone.format(table='comment_analysis')}").fetchall()
    con.execute(f"DELETE FROM comment_themes WHERE {gone.format(table='comment_themes')}")
    con.execute(
        """UPDATE themes SET comments = (SELECT count(DISTINCT response_id) FROM comment_themes m
                                         WHERE m.theme_id = themes.theme_id)"""
    )
    con.execute("DELETE FROM themes WHERE source = 'model' AND comments = 0")
    return int(forgotten[0][0])


def after_undo(forgotten: int, path=None, progress: Progress | None = None) -> str | None:
    """The hook an undo calls after its commit: recompute the themes when it removed comments."""
    if not forgotten:
        return None
    try:
        refresh(path, progress=progress)
    except Exception as error:  # the undo stands and the themes already leave its comments out
        return f"The import was undone but the themes were not recomputed ({error}). Run: python -m cx themes"
    return None


# --- leaders' edits ----------------------------------------------------------------------------


def _user() -> str | None:
    return os.environ.get("USER")


def rename_theme(theme_id: int, name: str, path=None, *, by: str | None = None) -> None:
    """Rename a theme, or merge it into another by giving it that theme's name; kept across recomputations."""
    name = " ".join(str(name).split())
    if not name:
        raise ValueError("A theme needs a name.")
    with db.writing(path) as con:
        found = con.execute("SELECT source, name, terms FROM themes WHERE theme_id = ?", [theme_id]).fetchone()
        if found is None:
            raise ValueError(f"There is no theme {theme_id} (the themes were recomputed meanwhile): reload the page.")
        source, old_name, terms = found
        con.execute("BEGIN TRANSACTION")
        if source == "rule":
            con.execute("UPDATE theme_rules SET name = ? WHERE name = ?", [name, old_name])
        else:
            con.execute(
                """INSERT INTO theme_names VALUES (?, ?, ?, ?)
                   ON CONFLICT (terms) DO UPDATE SET name = excluded.name, named_at = excluded.named_at,
                                                      named_by = excluded.named_by""",
                [terms, name, datetime.now(), by or _user()],
            )
        con.execute("UPDATE themes SET name = ? WHERE theme_id = ?", [name, theme_id])
        con.execute("COMMIT")


def pin_rule(name: str, keywords: list[str], path=None, *, by: str | None = None,
             progress: Progress | None = None) -> CommentsRun:  # fmt: skip
    """Pin a keyword rule ("refund", "reembolso" → Billing) and recompute the themes with it."""
    name = " ".join(str(name).split())
    words = [" ".join(k.split()) for k in keywords if k and k.strip()]
    if not name or not words:
        raise ValueError("A rule needs a theme name and at least one keyword.")
    with db.writing(path) as con:
        con.execute(
            """INSERT INTO theme_rules VALUES (?, ?, ?, ?)
               ON CONFLICT (name) DO UPDATE SET keywords = excluded.keywords""",
            [name, json.dumps(words, ensure_ascii=False), datetime.now(), by or _user()],
        )
    return refresh(path, progress=progress)


def remove_rule(name: str, path=None, *, progress: Progress | None = None) -> CommentsRun:
    with db.writing(path) as con:
        con.execute("DELETE FROM theme_rules WHERE name = ?", [name])
    return refresh(path, progress=progress)


# --- the benchmark -----------------------------------------------------------------------------


def benchmark(n: int = 10_000, seed: int = 1) -> list[tuple[str, float, float]]:
    """(step, wall seconds, CPU seconds) of analysing n distinct generated comments (70% English, 30% Portuguese).

    What `python -m cx bench` reports: the analysis an import of n new comments runs, without the database.
    CPU time beside wall time, because on a shared machine the wall time says more about the neighbours.
    """
    from cx.ingest.demo_comments import planted_comments

    corpus = planted_comments(n, seed=seed)
    frame = pd.DataFrame({"response_id": [f"R{i}" for i in range(n)], "comment": corpus["text"]})
    marks = [(time.perf_counter(), time.process_time())]
    text.detect_languages(["warm up the language models"])
    text.score_sentiment("warm up", "en"), text.score_sentiment("aquecer", "pt")
    marks.append((time.perf_counter(), time.process_time()))
    analysed = text.analyse_comments(frame, mask=privacy.mask_text)
    marks.append((time.perf_counter(), time.process_time()))
    text.extract_themes(frame["comment"].tolist(), analysed["language"].tolist())
    marks.append((time.perf_counter(), time.process_time()))
    steps = [
        "loading language models and lexicons (once per process)",
        f"language + sentiment + masking, {n:,} comments",
        f"themes (TF-IDF, NMF, YAKE names), {n:,} comments",
    ]
    rows = [(step, b[0] - a[0], b[1] - a[1]) for step, a, b in zip(steps, marks[:-1], marks[1:], strict=True)]
    total = (f"comment analysis in all, {n:,} comments (target < 10 s)", marks[-1][0] - marks[0][0],
             marks[-1][1] - marks[0][1])  # fmt: skip
    return [*rows, total, _search_benchmark(analysed["search_text"])]


def _search_benchmark(search_text: pd.Series, terms: tuple[str, ...] = ("refund", "reembolso", "app")) -> tuple:
    """The search predicate of the Comments page over the stored text, per query (median of 20 runs).

    The scan alone, as `cx.analysis.comments.matching` filters: `contains`, then the word-start pattern."""
    import duckdb

    con = duckdb.connect()
    try:
        con.register("stored", pd.DataFrame({"search_text": search_text}))
        con.execute("CREATE TABLE comment_analysis AS SELECT * FROM stored")
        runs = []
        for _ in range(20):
            for term in terms:
                wall, cpu = time.perf_counter(), time.process_time()
                con.execute("SELECT count(*) FROM comment_analysis WHERE contains(search_text, ?) "
                            "AND regexp_matches(search_text, ?)", [term, text.word_start_pattern(term)]).fetchall()  # fmt: skip
                runs.append((time.perf_counter() - wall, time.process_time() - cpu))
    finally:
        con.close()
    runs.sort()
    middle = runs[len(runs) // 2]
    return (f"search of the stored text, {len(search_text):,} comments, per query (no index)", *middle)
