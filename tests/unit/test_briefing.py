"""The briefing: tested changes since the previous period, false discoveries controlled, ranked, linked."""

from __future__ import annotations

from datetime import date, datetime

from cx.analysis import briefing, metrics
from cx.analysis.briefing import Finding
from cx.analysis.filters import Filters
from cx.store import db
from tests.conftest import build_db

JUNE = Filters(start=date(2026, 6, 1), end=date(2026, 6, 30))  # previous: 2 May – 31 May
CUSTOMERS = [{"customer_id": f"{s}{i}", "segment": s} for s in ("A", "B", "C") for i in range(200)]


def answers(segment: str, when: datetime, score: int, count: int, tag: str) -> list[dict]:
    return [{"response_id": f"{tag}-{segment}-{i}", "customer_id": f"{segment}{i}", "responded_at": when,
             "survey": "nps", "score": score} for i in range(count)]  # fmt: skip


def findings(path, filters=JUNE):
    with db.reading(path) as backend:
        return briefing.briefing(backend, filters)


def test_a_planted_drop_in_one_segment_is_found_with_its_size_n_and_link(db_file):
    may, june = datetime(2026, 5, 15), datetime(2026, 6, 15)
    responses = (answers("A", may, 10, 100, "m") + answers("A", june, 0, 100, "j")  # A: +100 -> -100
                 + answers("B", may, 0, 100, "m") + answers("B", june, 10, 100, "j")  # B the other way: overall steady
                 + answers("C", may, 8, 100, "m") + answers("C", june, 8, 100, "j"))  # fmt: skip
    build_db(db_file, customers=CUSTOMERS, responses=responses)
    found = findings(db_file)
    groups = {(f.dimension, f.group): f for f in found if f.dimension}
    a = groups[("segment", "A")]
    assert a.significant and a.q_value < 0.05
    assert a.text.startswith("NPS for segment A -100, down 200 pts on the previous 30 days")
    assert a.text.endswith("n = 100.")
    assert a.page == "pages/1_Trends.py" and a.params["segment"] == ["A"] and a.params["metric"] == ["nps"]
    assert a.params["from"] == ["2026-06-01"] and a.params["to"] == ["2026-06-30"]
    assert ("segment", "C") not in groups  # no change, no sentence
    assert not any(f.significant for f in found if f.dimension is None)  # overall NPS did not move


def test_when_nothing_changed_the_briefing_says_so_with_the_steady_figures(db_file):
    may, june = datetime(2026, 5, 15), datetime(2026, 6, 15)
    responses = [r for s in ("A", "B", "C") for r in answers(s, may, 9, 60, "m") + answers(s, june, 9, 60, "j")]
    responses += answers("A", may, 3, 40, "m2") + answers("A", june, 3, 40, "j2")
    build_db(db_file, customers=CUSTOMERS, responses=responses)
    found = findings(db_file)
    assert not any(f.significant for f in found)
    assert briefing.intro(found, JUNE) == "Nothing changed significantly on the previous 30 days; the headline figures:"
    nps = next(f for f in found if f.key == "nps")
    assert nps.text == "NPS 64, about the same as the previous 30 days (0 ± 14 pts), n = 220."  # (180 - 40) / 220


def test_many_groups_without_a_real_change_give_no_false_discovery(db_file):
    """Twenty segments, each with the same answers in both periods but one a little noisier: no test survives."""
    customers = [{"customer_id": f"S{g}-{i}", "segment": f"S{g}"} for g in range(20) for i in range(80)]
    responses = []
    for g in range(20):
        may = [9] * 40 + [7] * 20 + [4] * 20
        june = [9] * (38 + g % 5) + [7] * 20 + [4] * (22 - g % 5)  # small wobbles either way, none real
        for period, scores in (("m", may), ("j", june)):
            when = datetime(2026, 5, 15) if period == "m" else datetime(2026, 6, 15)
            responses += [{"response_id": f"{period}-{g}-{i}", "customer_id": f"S{g}-{i}", "responded_at": when,
                           "survey": "nps", "score": s} for i, s in enumerate(scores)]  # fmt: skip
    build_db(db_file, customers=customers, responses=responses)
    with db.reading(db_file) as backend:
        tests = briefing.group_tests(backend, JUNE)
    assert len(tests) == 20
    assert briefing.group_findings(tests, JUNE) == []


def test_small_groups_are_not_tested(db_file):
    customers = [{"customer_id": f"A{i}", "segment": "A"} for i in range(10)]
    responses = answers("A", datetime(2026, 5, 15), 10, 10, "m") + answers("A", datetime(2026, 6, 15), 0, 10, "j")
    build_db(db_file, customers=customers, responses=responses)
    with db.reading(db_file) as backend:
        assert briefing.group_tests(backend, JUNE) == []


def finding(key: str, strength: float, significant: bool = True, dimension: str | None = None) -> Finding:
    return Finding(f"{key} {dimension}", key, significant, strength, "pages/1_Trends.py", {}, dimension)


def test_every_changed_headline_metric_is_kept_and_groups_fill_the_rest_strongest_first():
    headlines = [finding("nps", 2.5), finding("csat", 0, significant=False), finding("ces", 3.0)]
    groups = [finding("csat", z, dimension="segment") for z in (9.0, 8.0, 7.0, 6.0, 5.0, 4.0)]
    ranked = briefing.rank(headlines, groups, most=7)
    assert [(f.key, f.dimension, f.strength) for f in ranked] == [
        ("csat", "segment", 9.0), ("csat", "segment", 8.0), ("csat", "segment", 7.0), ("csat", "segment", 6.0),
        ("csat", "segment", 5.0), ("ces", None, 3.0), ("nps", None, 2.5),
    ]  # fmt: skip


def test_with_fewer_than_three_changes_steady_headline_figures_fill_up_to_three():
    headlines = [
        finding("nps", 0, False),
        finding("csat", 2.2),
        finding("ces", 0, False),
        finding("churn_rate", 0, False),
    ]
    ranked = briefing.rank(headlines, [], least=3)
    assert [(f.key, f.significant) for f in ranked] == [("csat", True), ("nps", False), ("ces", False)]


def test_the_briefing_on_the_demo_finds_the_planted_billing_incident(demo_db):
    """The demo plants an incident at the Billing inquiry touchpoint in July 2026."""
    july = Filters(start=date(2026, 7, 1), end=date(2026, 7, 31))
    found = findings(demo_db, july)
    assert 3 <= len(found) <= 7
    billing = [f for f in found if f.group == "Billing inquiry"]
    assert billing and billing[0].text.startswith("CSAT at touchpoint Billing inquiry") and "down" in billing[0].text
    assert billing[0].page == "pages/2_Journey.py" and billing[0].params["touchpoint"] == ["Billing inquiry"]
    assert all(metrics.METRICS[f.key] for f in found)
