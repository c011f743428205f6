"""Rollups kept at import: refreshed in the import's transaction, removed by undo, shadowed in snapshots, and
read by the metric layer only when they give the figures the raw tables give."""

from __future__ import annotations

import math
import time
from datetime import date, datetime, timedelta

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from cx.analysis import journey, metrics, rolled, scope
from cx.analysis.filters import Filters
from cx.ingest import import_file, undo_import
from cx.store import db, rollups, warehouse
from tests.conftest import build_db

JUNE = Filters(start=date(2026, 6, 1), end=date(2026, 6, 30))
TICKETS = "Ticket ID,Customer ID,Created,Channel,Stage,Touchpoint,First response (s)\n"
SURVEY = "Response ID,Customer ID,Submitted,Channel,How likely are you to recommend us to a friend or colleague?\n"


def tickets(prefix: str, seconds: list[float], channel: str = "Email") -> bytes:
    rows = [f"{prefix}{i},C{i % 3},2026-06-{i % 28 + 1:02d} 10:00,{channel},support,Help desk,{s}"
            for i, s in enumerate(seconds)]  # fmt: skip
    return (TICKETS + "\n".join(rows) + "\n").encode()


def survey(prefix: str, scores: list[int], channel: str = "Email") -> bytes:
    rows = [f"{prefix}{i},C{i % 3},2026-06-{i % 28 + 1:02d},{channel},{s}" for i, s in enumerate(scores)]
    return (SURVEY + "\n".join(rows) + "\n").encode()


def rollup_totals(path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            "responses": con.execute(
                "SELECT import_id, sum(n) FROM rollup_responses GROUP BY ALL ORDER BY ALL"
            ).fetchall(),
            "interactions": con.execute(
                "SELECT import_id, sum(n) FROM rollup_interactions WHERE measure = 'rows' GROUP BY ALL ORDER BY ALL"
            ).fetchall(),
        }
    finally:
        con.close()


class Recording:
    """A backend that notes which tables the metric layer asks for."""

    def __init__(self, backend) -> None:
        self._backend = backend
        self.name = backend.name
        self.asked: list[str] = []

    def table(self, name: str):
        self.asked.append(name)
        return self._backend.table(name)

    def list_tables(self, *args, **kwargs):
        return self._backend.list_tables(*args, **kwargs)


def overview_reads(path, filters: Filters, limit=()) -> list[str]:
    with db.reading(path) as backend:
        recording = Recording(backend)
        metrics.overview(scope.restrict(recording, limit) if limit else recording, filters)
    return recording.asked


def figures(path, filters: Filters, **kwargs) -> tuple[metrics.Summary, pd.DataFrame]:
    with db.reading(path) as backend:
        return metrics.summary(backend, "nps", filters, **kwargs), metrics.trend(backend, "nps", filters, "week")


@pytest.fixture
def imported(db_file):
    import_file(survey("R", [10, 9, 3, 7, 0, 10] * 10), file_name="survey.csv", db=db_file)
    import_file(tickets("T", [60.0, 600.0, 3600.0, 0.0, 20000.0] * 12), file_name="tickets.csv", db=db_file)
    return db_file


# --- kept at import -----------------------------------------------------------------------------


def test_an_import_adds_its_share_of_the_rollups_in_its_transaction(imported):
    assert rollup_totals(imported) == {"responses": [(1, 60)], "interactions": [(2, 60)]}


def test_undoing_an_import_removes_its_share_of_the_rollups(imported):
    undo_import(1, db=imported)
    assert rollup_totals(imported) == {"responses": [], "interactions": [(2, 60)]}


def test_undoing_the_first_of_two_imports_of_a_file_hands_its_share_on_with_the_records(db_file):
    import_file(tickets("T", [60.0] * 10), file_name="june.csv", db=db_file)
    import_file(tickets("T", [60.0] * 10), file_name="june-again.csv", db=db_file)  # the same tickets: claimed
    assert rollup_totals(db_file)["interactions"] == [(1, 10)]
    undo_import(1, db=db_file)
    assert rollup_totals(db_file)["interactions"] == [(2, 10)]


def test_an_import_that_fails_half_way_leaves_no_rollup_rows(db_file, monkeypatch):
    from cx.ingest import load

    def fail(con):
        raise RuntimeError("disk full")

    monkeypatch.setattr(load, "before_commit", fail)
    with pytest.raises(RuntimeError):
        import_file(survey("R", [10] * 5), file_name="survey.csv", db=db_file)
    assert rollup_totals(db_file) == {"responses": [], "interactions": []}


def test_the_migration_builds_the_rollups_of_rows_a_database_already_holds(db_file):
    build_db(db_file, responses=[{"response_id": f"r{i}", "responded_at": datetime(2026, 6, 3), "survey": "nps",
                                  "score": 10} for i in range(5)])  # fmt: skip
    with db.writing(db_file) as con:  # as a database from before the rollups
        for table in (*rollups.TABLES, "rollup_state"):
            con.execute(f"DROP TABLE {table}")
        con.execute("DELETE FROM schema_version WHERE version >= 11")
    db.ensure_database(db_file)
    assert rollup_totals(db_file)["responses"] == [(None, 5)]
    con = duckdb.connect(str(db_file), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM rollup_stages").fetchall() == [(0,)]
    finally:
        con.close()
    with db.reading(db_file) as backend:
        assert rolled.ready(backend)


def test_a_warehouse_gets_no_rollups(imported):
    con = duckdb.connect(str(imported), read_only=True)
    try:
        copied = warehouse.local_tables(con)
    finally:
        con.close()
    assert "interactions" in copied and not set(rollups.TABLES) & set(copied)


# --- which path answers --------------------------------------------------------------------------


def test_an_unfiltered_overview_reads_the_survey_and_duration_figures_from_the_rollups(imported):
    asked = overview_reads(imported, JUNE)
    assert asked.count("rollup_responses") > 1 and asked.count("rollup_interactions") > 1
    # No figure reads the raw event tables (the check that the rollups count the same rows is plain SQL).
    assert "responses" not in asked and "interactions" not in asked


def test_a_channel_filter_is_still_answered_by_the_rollups(imported):
    asked = overview_reads(imported, JUNE.with_values(channel=["Email"]))
    assert "rollup_responses" in asked and "rollup_interactions" in asked


def test_a_segment_filter_reads_the_survey_figures_from_the_customer_field_rollup_and_durations_raw(imported):
    asked = overview_reads(imported, JUNE.with_values(segment=["SMB"]))
    assert "rollup_response_customers" in asked
    # Not the event rollups: they cannot split the answers by segment, nor a duration.
    assert "rollup_responses" not in asked and "rollup_interactions" not in asked
    assert "interactions" in asked  # the durations, raw


def test_a_segment_and_a_channel_filter_together_read_the_raw_tables(imported):
    asked = overview_reads(imported, JUNE.with_values(segment=["SMB"], channel=["Email"]))
    assert not {name for name in asked if name.startswith("rollup_")}


def test_a_customer_attribute_filter_reads_the_raw_tables(imported):
    asked = overview_reads(imported, JUNE.with_values(**{"attr.Contract": ["Annual"]}))
    assert not {name for name in asked if name.startswith("rollup_")}


CUSTOMERS = "Customer ID,Name,Segment,Region\n"


def nps_by_segment(path, as_of=None) -> tuple[list[str], pd.DataFrame]:
    with db.reading(path, as_of=as_of) as backend:
        recording = Recording(backend)
        return recording.asked, metrics.breakdown(recording, "nps", JUNE, by="segment")


def test_a_customers_file_that_moves_customers_recounts_the_customer_field_rollup(db_file, monkeypatch):
    import_file(survey("R", [10, 9, 3, 7, 0, 10] * 10), file_name="survey.csv", db=db_file)
    import_file((CUSTOMERS + "C0,Ann,SMB,EU\nC1,Bob,SMB,EU\nC2,Cy,Enterprise,US\n").encode(), file_name="c.csv",
                db=db_file)  # fmt: skip
    time.sleep(0.01)
    before_move = datetime.now()
    time.sleep(0.01)
    import_file((CUSTOMERS + "C0,Ann,Enterprise,EU\n").encode(), file_name="moved.csv", db=db_file,
                on_conflict="replace")  # fmt: skip
    asked, fast = nps_by_segment(db_file)
    assert "rollup_response_customers" in asked
    assert dict(zip(fast["group"], fast["n"], strict=True)) == {"Enterprise": 40, "SMB": 20}
    # Frozen before the move: the customers it sees are not those the rollup was counted with.
    asked_frozen, frozen = nps_by_segment(db_file, as_of=before_move)
    assert "rollup_response_customers" not in asked_frozen
    assert frozen["n"].sum() == 60
    monkeypatch.setenv("CX_ROLLUPS", "off")
    _, raw = nps_by_segment(db_file)
    _, raw_frozen = nps_by_segment(db_file, as_of=before_move)
    pd.testing.assert_frame_equal(fast, raw, check_dtype=False)
    pd.testing.assert_frame_equal(frozen, raw_frozen, check_dtype=False)


def test_undoing_a_customers_file_recounts_the_customer_field_rollup(db_file, monkeypatch):
    import_file(survey("R", [10, 9, 3, 7, 0, 10] * 10), file_name="survey.csv", db=db_file)
    customers = import_file((CUSTOMERS + "C0,Ann,SMB,EU\nC1,Bob,SMB,EU\nC2,Cy,Enterprise,US\n").encode(),
                            file_name="c.csv", db=db_file)  # fmt: skip
    undo_import(customers.import_id, db=db_file)
    asked, fast = nps_by_segment(db_file)
    assert "rollup_response_customers" in asked
    assert dict(zip(fast["group"], fast["n"], strict=True)) == {"Unknown": 60}


def test_a_row_scope_reads_the_raw_tables(imported):
    asked = overview_reads(imported, JUNE, limit=(("segment", ("SMB",)),))
    assert "rollup_responses" not in asked and "rollup_interactions" not in asked


def test_masking_alone_still_reads_the_rollups(imported):
    with db.reading(imported) as backend:
        masked = scope.restrict(backend, (), mask=True)
        assert scope.is_scoped(masked) is False and rolled.ready(masked)


def test_rows_written_by_hand_after_an_import_make_the_metric_layer_read_raw(imported):
    with db.writing(imported) as con:
        con.execute(
            "INSERT INTO responses (response_id, responded_at, survey, score) VALUES ('x', '2026-06-02', 'nps', 0)"
        )
    with db.reading(imported) as backend:
        assert not rolled.ready(backend)
        assert metrics.summary(backend, "nps", JUNE, compare_previous=False).current.n == 61


def test_cx_rollups_off_reads_raw(imported, monkeypatch):
    monkeypatch.setenv("CX_ROLLUPS", "off")
    asked = overview_reads(imported, JUNE)
    assert "rollup_responses" not in asked


# --- same figures both ways ---------------------------------------------------------------------


def test_a_frozen_snapshot_reads_only_the_rollups_of_the_imports_made_by_then(db_file, monkeypatch):
    import_file(survey("A", [10] * 30 + [0] * 10), file_name="june.csv", db=db_file)
    time.sleep(0.01)
    frozen_at = datetime.now()
    time.sleep(0.01)
    import_file(survey("B", [0, 6, 3, 10] * 10), file_name="june-late.csv", db=db_file)
    with db.reading(db_file, as_of=frozen_at) as backend:
        assert rolled.ready(backend)
    live, _ = figures(db_file, JUNE, compare_previous=False)
    frozen, frozen_trend = _figures_as_of(db_file, frozen_at)
    monkeypatch.setenv("CX_ROLLUPS", "off")
    raw_frozen, raw_frozen_trend = _figures_as_of(db_file, frozen_at)
    assert (frozen.current.value, frozen.current.n) == (50.0, 40) == (raw_frozen.current.value, raw_frozen.current.n)
    assert live.current.n == 80
    pd.testing.assert_frame_equal(frozen_trend, raw_frozen_trend, check_dtype=False)


def _figures_as_of(path, as_of):
    with db.reading(path, as_of=as_of) as backend:
        return (metrics.summary(backend, "nps", JUNE, compare_previous=False),
                metrics.trend(backend, "nps", JUNE, "week"))  # fmt: skip


def test_a_histogram_median_is_within_the_stated_error():
    values = [1.0, 7.0, 59.0, 600.0, 3599.0, 14400.0, 86400.0, 0.0]
    buckets = [None if v == 0 else math.ceil(16 * math.log2(v / 14400)) for v in values]
    histogram = rolled.Histogram(buckets, [1] * len(values))
    exact = sorted(values)
    for rank, value in enumerate(exact):
        assert histogram.order_statistic(rank) == pytest.approx(value, rel=rolled.QUANTILE_ERROR, abs=0)
    assert rolled.QUANTILE_ERROR == pytest.approx(0.0219, abs=1e-4)
    # Answered within 4 hours: exact, the target being a bucket edge (14400 itself is within).
    assert histogram.above_bucket(0) == 1


CHANNELS = ("Email", "Chat", None)
TOUCHPOINTS = ("Billing", "Login")
DAY0 = datetime(2026, 5, 1)


@st.composite
def events(draw):
    answers = draw(st.lists(st.tuples(st.sampled_from(("nps", "csat", "ces")), st.integers(0, 60),
                                      st.sampled_from(CHANNELS), st.sampled_from(TOUCHPOINTS),
                                      st.sampled_from(("Q1", "Q2", None)), st.integers(0, 10)),
                            max_size=60))  # fmt: skip
    contacts = draw(st.lists(st.tuples(st.integers(0, 60), st.sampled_from(CHANNELS), st.sampled_from(TOUCHPOINTS),
                                       st.one_of(st.none(), st.just(0.0), st.floats(0.5, 500_000)),
                                       st.one_of(st.none(), st.floats(1, 2_000_000))),
                             max_size=80))  # fmt: skip
    scales = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
    responses = [
        {"response_id": f"r{i}", "responded_at": DAY0 + timedelta(days=d, hours=5), "survey": s, "channel": c,
         "touchpoint": t, "question": q, "score": min(max(score, scales[s][0]), scales[s][1])}
        for i, (s, d, c, t, q, score) in enumerate(answers)
    ]  # fmt: skip
    interactions = [
        {"interaction_id": f"i{i}", "occurred_at": DAY0 + timedelta(days=d, hours=3), "channel": c, "touchpoint": t,
         "response_time_s": r, "resolution_time_s": res}
        for i, (d, c, t, r, res) in enumerate(contacts)
    ]  # fmt: skip
    segments = draw(st.lists(st.sampled_from(("SMB", "Enterprise", None)), min_size=3, max_size=3))
    customers = [{"customer_id": f"c{i}", "segment": s, "region": "EU"} for i, s in enumerate(segments)]
    for row in responses:
        row["customer_id"] = draw(st.sampled_from(("c0", "c1", "c2", "c9", None)))
    return responses, interactions, customers


VIEWS = (
    (Filters(start=date(2026, 5, 10), end=date(2026, 6, 20)), None, None),
    (Filters(start=date(2026, 5, 1), end=date(2026, 6, 30)), "touchpoint", None),
    (Filters(start=date(2026, 5, 1), end=date(2026, 6, 30)).with_values(channel=["Chat"]), "channel", "week"),
    (Filters(start=date(2026, 5, 3), end=date(2026, 6, 30)).with_values(question=["Q2"]), None, "day"),
    (Filters(start=date(2026, 5, 1), end=date(2026, 6, 30)), "question", "month"),
    (Filters(start=date(2026, 5, 1), end=date(2026, 6, 30)), "segment", "week"),
    (Filters(start=date(2026, 5, 5), end=date(2026, 6, 30)).with_values(segment=["SMB"]), "question", None),
    (Filters(start=date(2026, 5, 1), end=date(2026, 6, 30)).with_values(segment=["Enterprise"]), None, "day"),
)
KEYS = ("nps", "csat", "ces", "first_response_time", "resolution_time", "response_within_target")


def _all_figures(path):
    out = {}
    with db.reading(path) as backend:
        for filters, by, grain in VIEWS:
            for key in KEYS:
                if by in ("question", "segment") and metrics.METRICS[key].source != "responses":
                    continue  # durations by customer field are read raw both ways
                out[(filters, by, grain, key)] = metrics.sufficient_stats(backend, key, filters, by=by, grain=grain)
            out[(filters, "summary")] = metrics.summary(backend, "first_response_time", filters)
    return out


@settings(
    max_examples=10,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=events())
def test_the_rollups_and_the_raw_tables_give_the_same_figures(tmp_path_factory, monkeypatch, data):
    responses, interactions, customers = data
    path = build_db(tmp_path_factory.mktemp("rolled") / "cx.duckdb", responses=responses, interactions=interactions,
                    customers=customers)  # fmt: skip
    with db.writing(path) as con:  # rows written by hand: count them as an import would
        rollups.rebuild(con)
    with db.reading(path) as backend:
        assert rolled.ready(backend) and rolled.customers_unchanged(backend)
    monkeypatch.setenv("CX_ROLLUPS", "on")
    fast = _all_figures(path)
    monkeypatch.setenv("CX_ROLLUPS", "off")
    raw = _all_figures(path)
    for where, expected in raw.items():
        actual = fast[where]
        if where[-1] == "summary":
            assert actual.current.n == expected.current.n and actual.previous.n == expected.previous.n
            _close(actual.current.value, expected.current.value, where)
            continue
        assert list(actual["period"]) == list(expected["period"]), where
        assert list(actual["group"]) == list(expected["group"]), where
        sketched = [c for c in ("median", "p90", "ci_low", "ci_high") if c in expected.columns]
        exact = [c for c in expected.columns if c not in ("period", "group", *sketched)]
        for column in exact:
            assert [float(v) for v in actual[column]] == pytest.approx([float(v) for v in expected[column]]), (
                where, column)  # fmt: skip
        for column in sketched:
            for a, b in zip(actual[column], expected[column], strict=True):
                _close(a, b, (where, column))


def _close(actual, expected, where) -> None:
    if expected is None or pd.isna(expected):
        assert actual is None or pd.isna(actual), where
    else:
        assert float(actual) == pytest.approx(float(expected), rel=rolled.QUANTILE_ERROR + 1e-9, abs=1e-9), where


# --- the journey funnel ---------------------------------------------------------------------------


def _flows(path, filters: Filters) -> tuple[list[str], list[pd.DataFrame]]:
    with db.reading(path) as backend:
        recording = Recording(backend)
        flows = [journey.stage_flow(recording, filters), journey.stage_flow(recording, filters, by="segment")]
    return recording.asked, flows


def test_the_journey_funnel_reads_each_customers_first_interaction_per_stage_and_matches_raw(demo_db, monkeypatch):
    with db.reading(demo_db) as backend:
        last = metrics.data_range(backend)[1]
    for filters in (Filters.default(today=last), Filters.default(today=last).with_values(segment=["SMB"])):
        asked, fast = _flows(demo_db, filters)
        assert "rollup_stages" in asked
        monkeypatch.setenv("CX_ROLLUPS", "off")
        asked_raw, raw = _flows(demo_db, filters)
        monkeypatch.delenv("CX_ROLLUPS")
        assert "rollup_stages" not in asked_raw
        for a, b in zip(fast, raw, strict=True):
            assert len(a) and a["reached"].sum() > 0
            pd.testing.assert_frame_equal(a, b)


def test_a_channel_filter_makes_the_journey_funnel_read_every_interaction(demo_db):
    with db.reading(demo_db) as backend:
        last = metrics.data_range(backend)[1]
    asked, _ = _flows(demo_db, Filters.default(today=last).with_values(channel=["Email"]))
    assert "rollup_stages" not in asked
