"""A frozen snapshot: figures from the data imported up to a moment, whatever is imported after it."""

from __future__ import annotations

import time
from datetime import date, datetime

from cx.analysis import metrics
from cx.analysis.filters import Filters
from cx.ingest import import_file, undo_import
from cx.store import db
from tests.conftest import build_db

PERIOD = Filters(start=date(2026, 6, 1), end=date(2026, 6, 30))
# Not all one score: a figure at the scale's very end (NPS 100) is held back for a look before import.
MOSTLY_PROMOTERS = [9] * 30 + [7] * 10
HEADER = "Response ID,Submitted,How likely are you to recommend us to a friend or colleague?\n"


def survey(prefix: str, scores: list[int]) -> bytes:
    rows = [f"{prefix}-{i},2026-06-{(i % 28) + 1:02d},{s}" for i, s in enumerate(scores)]
    return (HEADER + "\n".join(rows) + "\n").encode()


def nps(path, as_of=None) -> tuple[float, int]:
    with db.reading(path, as_of=as_of) as backend:
        summary = metrics.summary(backend, "nps", PERIOD, compare_previous=False)
    return summary.current.value, summary.current.n


def test_a_snapshot_shows_the_same_figures_after_a_later_import(db_file):
    import_file(survey("A", [10] * 30 + [0] * 10), file_name="june.csv", db=db_file)
    time.sleep(0.01)
    frozen_at = datetime.now()
    time.sleep(0.01)
    import_file(survey("B", [0] * 30 + [7] * 10), file_name="june-late.csv", db=db_file)

    assert nps(db_file, as_of=frozen_at) == (50.0, 40)  # (30 promoters - 10 detractors) / 40
    assert nps(db_file) == (-12.5, 80)  # live: (30 promoters - 40 detractors) / 80


def test_a_snapshot_before_any_import_has_no_data(db_file):
    before = datetime.now()
    time.sleep(0.01)
    import_file(survey("A", MOSTLY_PROMOTERS), file_name="june.csv", db=db_file)
    assert nps(db_file, as_of=before) == (None, 0)


def test_the_snapshot_lists_only_the_imports_made_by_then(db_file):
    import_file(survey("A", MOSTLY_PROMOTERS), file_name="june.csv", db=db_file)
    frozen_at = datetime.now()
    time.sleep(0.01)
    import_file(survey("B", MOSTLY_PROMOTERS), file_name="june-late.csv", db=db_file)
    with db.reading(db_file, as_of=frozen_at) as backend:
        assert backend.table("imports").execute()["file_name"].tolist() == ["june.csv"]


def test_rows_without_an_import_always_count(db_file):
    build_db(
        db_file, responses=[{"response_id": "r1", "responded_at": datetime(2026, 6, 2), "survey": "nps", "score": 10}]
    )
    assert nps(db_file, as_of=datetime(2000, 1, 1)) == (100.0, 1)


def test_every_table_whose_rows_carry_an_import_is_pinned(db_file):
    db.ensure_database(db_file)
    con = db.connect(db_file, read_only=True)
    try:
        pinned = db.pin(con, datetime.now())
    finally:
        con.close()
    assert {"customers", "customer_attributes", "interactions", "responses", "import_rejects"} <= set(pinned)


def test_an_undone_import_before_the_snapshot_stays_out_of_it(db_file):
    first = import_file(survey("A", MOSTLY_PROMOTERS), file_name="june.csv", db=db_file)
    undo_import(first.import_id, db=db_file)
    assert nps(db_file, as_of=datetime.now()) == (None, 0)
