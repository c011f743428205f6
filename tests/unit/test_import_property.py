"""Shuffled, renamed and padded survey files: the importer recovers the true figure or refuses, never another one."""

from __future__ import annotations

import csv
import io
import random
import tempfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cx.analysis import metrics
from cx.analysis.filters import Filters
from cx.ingest import ImportRefused, import_file
from cx.store import db as store

SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
# How exports name the same things, in the languages our users' tools speak.
SCORE_NAMES = {
    "nps": ["NPS", "How likely are you to recommend us to a friend?", "Likelihood to recommend (0-10)",
            "Recomendaria a um amigo? (0-10)", "¿Recomendaría nuestra empresa? (0-10)", "Weiterempfehlung (0-10)",
            "Recommanderiez-vous notre service ?", "LTR"],
    "csat": ["CSAT", "Satisfaction (1-5)", "How satisfied were you?", "Zufriedenheit", "Satisfação geral",
             "Satisfacción (1-5)", "Overall satisfaction rating"],
    "ces": ["CES", "Customer Effort Score", "How easy was it to get help? (1-7)", "Facilidad (1-7)"],
}  # fmt: skip
DATE_NAMES = ["Date", "Submitted at", "Response date", "Fecha", "Datum", "Data", "Timestamp", "Created"]
ID_NAMES = ["Response ID", "Respondent", "ID", "Antwort-ID", "respondent_id", "Submission ID"]
COMMENT_NAMES = ["Comment", "Why?", "Kommentar", "Comentario", "Commentaire", "Feedback"]
NOISE = ["Agent", "Store number", "Basket size", "Internal code", "Opt-in", "Empty", "Constant", "Latitude", "Browser"]


def noise_values(kind: str, rows: int, rng: random.Random) -> list[str]:
    return {
        "Agent": [rng.choice(["Ana", "Bo", "Chen", "Dee"]) for _ in range(rows)],
        "Store number": [str(rng.randint(100, 999)) for _ in range(rows)],
        "Basket size": [str(rng.randint(0, 40)) for _ in range(rows)],
        "Internal code": [f"X{rng.randint(0, 10**6):07d}" for _ in range(rows)],
        "Opt-in": [rng.choice(["Yes", "No"]) for _ in range(rows)],
        "Empty": ["" for _ in range(rows)],
        "Constant": ["web" for _ in range(rows)],
        "Latitude": [f"{rng.uniform(-60, 60):.5f}" for _ in range(rows)],
        "Browser": [rng.choice(["Chrome 120.0.1", "Firefox 121.0", "Safari 17.2.1"]) for _ in range(rows)],
    }[kind]


@st.composite
def survey_files(draw):
    survey = draw(st.sampled_from(sorted(SCALES)))
    low, high = SCALES[survey]
    rows = draw(st.integers(30, 80))
    seed = draw(st.integers(0, 10**6))
    rng = random.Random(seed)
    scores = [rng.choice([None, *range(low, high + 1), *range(low, high + 1)]) for _ in range(rows)]
    scores[0], scores[1] = low, high  # the answers use the whole scale, as real ones over 30 rows do
    start = date(2024, 1, 1) + timedelta(days=draw(st.integers(0, 300)))
    columns = {
        draw(st.sampled_from(SCORE_NAMES[survey])): ["" if s is None else str(s) for s in scores],
        draw(st.sampled_from(DATE_NAMES)): [
            (start + timedelta(days=rng.randint(0, 60))).isoformat() for _ in range(rows)
        ],
    }
    if draw(st.booleans()):
        columns[draw(st.sampled_from(ID_NAMES))] = [f"R{n:05d}" for n in range(rows)]
    if draw(st.booleans()):
        columns[draw(st.sampled_from(COMMENT_NAMES))] = [
            rng.choice(["", f"Thanks for the help {n}", f"Too slow, ticket {n}"]) for n in range(rows)
        ]
    for name in draw(st.lists(st.sampled_from(NOISE), max_size=5, unique=True)):
        columns[name] = noise_values(name, rows, rng)
    order = draw(st.permutations(list(columns)))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=draw(st.sampled_from([",", ";", "\t"])))
    writer.writerow(order)
    writer.writerows(zip(*(columns[name] for name in order), strict=True))
    return survey, [s for s in scores if s is not None], buffer.getvalue().encode("utf-8")


def true_figure(survey: str, scores: list[int]) -> float:
    n = len(scores)
    if survey == "nps":
        return 100 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / n
    if survey == "csat":
        return 100 * sum(s >= 4 for s in scores) / n
    return sum(scores) / n


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(survey_files())
def test_the_importer_recovers_the_true_figure_or_refuses_never_another(case):
    survey, scores, content = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cx.duckdb"
        try:
            import_file(content, file_name="export.csv", db=path)
        except ImportRefused:
            return  # refusing, with a message, is allowed; a wrong figure is not
        with store.reading(path) as backend:
            span = metrics.data_range(backend)
            filters = Filters.build(*span)
            figures = {key: metrics.summary(backend, key, filters, compare_previous=False).current for key in SCALES}
    for key, found in figures.items():
        if key == survey:
            assert found.n == len(scores)
            assert found.value == pytest.approx(true_figure(survey, scores))
        else:
            assert found.value is None, f"a {key} figure was made from a file that holds only {survey}"
