"""Follow-up queue, recovery and matched churn on hand-made rows, and the queue from a real database."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from cx.analysis import followups
from cx.analysis.filters import Filters
from cx.store import db
from cx.store import followups as store
from tests.conftest import build_db

DAY = timedelta(days=1)
T0 = datetime(2026, 1, 5, 10, 0)


def item(customer: str, score: int, *, at: datetime = T0, contact: datetime | None = None, **extra) -> dict:
    row = {
        "response_id": f"R-{customer}-{at:%m%d}",
        "customer_id": customer,
        "responded_at": at,
        "survey": "nps",
        "score": score,
        "segment": "SMB",
        "plan": "Basic",
        "first_contact_at": contact,
        "churn_date": None,
        "status": "contacted" if contact else "new",
        "owner": None,
    }
    return row | extra


def frame(rows: list[dict]) -> pd.DataFrame:
    out = pd.DataFrame(rows)
    for column in ("responded_at", "first_contact_at"):
        out[column] = pd.to_datetime(out[column])
    out["churn_date"] = pd.to_datetime(out["churn_date"]).dt.date
    return out


def answers(rows: list[tuple[str, str, int, datetime]]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=["customer_id", "survey", "score", "responded_at"])
    out["responded_at"] = pd.to_datetime(out["responded_at"])
    return out


# --- recovery ------------------------------------------------------------------------------------


def test_recovery_counts_the_next_answer_after_the_contact_against_not_contacted_customers():
    items = frame(
        [
            item("C1", 3, contact=T0 + DAY),  # next NPS 8: passive, recovered
            item("C2", 5, contact=T0 + DAY),  # next NPS 4: still a detractor
            item("C3", 2),  # not contacted, next NPS 9: recovered anyway
            item("C4", 6),  # not contacted, no answer since: waiting
            item("C5", 1, contact=T0 + 10 * DAY),  # a 9 before the contact does not count; the 6 after does
        ]
    )
    later = answers(
        [
            ("C1", "nps", 3, T0),
            ("C1", "nps", 8, T0 + 30 * DAY),
            ("C1", "nps", 2, T0 + 60 * DAY),  # only the next answer counts
            ("C2", "nps", 4, T0 + 40 * DAY),
            ("C2", "csat", 5, T0 + 2 * DAY),  # another survey
            ("C3", "nps", 9, T0 + 20 * DAY),
            ("C5", "nps", 9, T0 + 5 * DAY),
            ("C5", "nps", 6, T0 + 20 * DAY),
        ]
    )
    result = followups.recovery(items, later)
    assert (result.contacted.n, result.contacted.value) == (3, pytest.approx(100 / 3))
    assert (result.not_contacted.n, result.not_contacted.value) == (1, 100.0)
    assert (result.waiting_contacted, result.waiting_not_contacted) == (0, 1)
    assert result.comparison.difference == pytest.approx(100 / 3 - 100)


def test_recovery_counts_each_customer_once_from_their_first_unhappy_answer():
    # Choosing the followed-up answer instead would favour customers who stayed unhappy long enough to be called.
    items = frame([item("C1", 2, at=T0), item("C1", 4, at=T0 + 5 * DAY, contact=T0 + 6 * DAY)])
    later = answers([("C1", "nps", 4, T0 + 5 * DAY), ("C1", "nps", 7, T0 + 9 * DAY)])
    result = followups.recovery(items, later)
    assert (result.not_contacted.n, result.not_contacted.value, result.contacted.n) == (1, 0.0, 0)


def test_recovery_of_an_empty_selection_has_no_answers_whatever_the_key_types():
    # A filter that matches nothing (a link with ?channel=%00) brings frames whose ids are plain objects,
    # beside answers whose ids are strings.
    items = frame([item("C1", 3, contact=T0 + DAY)]).iloc[0:0].astype({"customer_id": object})
    later = answers([("C1", "nps", 8, T0 + 30 * DAY)]).astype({"customer_id": "string"})
    result = followups.recovery(items, later)
    assert (result.contacted.n, result.not_contacted.n) == (0, 0)


@pytest.mark.parametrize(
    ("survey", "unhappy", "neutral", "happy"),
    [("nps", 6, 7, 9), ("csat", 2, 3, 4), ("ces", 2, 3, 5)],
)
def test_categories_follow_each_survey_scale(survey, unhappy, neutral, happy):
    assert [followups.category(survey, s) for s in (unhappy, neutral, happy)] == [0, 1, 2]


# --- matched churn -------------------------------------------------------------------------------

DATA_END = date(2026, 12, 31)


def churned_after(days: int) -> date:
    return (T0 + days * DAY).date()


def stratum(segment: str, plan: str, score: int, contacted: list[bool], churned: list[bool], start: int) -> list:
    rows = []
    for k, (reached, left) in enumerate(zip(contacted, churned, strict=True)):
        rows.append(
            item(
                f"{segment[:3]}{start + k}",
                score,
                contact=T0 + DAY if reached else None,
                segment=segment,
                plan=plan,
                churn_date=churned_after(30) if left else None,
            )
        )
    return rows


def test_matched_churn_compares_within_segment_plan_and_score_band_weighted_by_the_contacted():
    rows = (
        # SMB Basic 0–3: contacted 1 of 4 churned, not contacted 2 of 4
        stratum("SMB", "Basic", 2, [True] * 4 + [False] * 4, [True, False, False, False, True, True, False, False], 0)
        # Enterprise Premium 6: contacted 0 of 2, not contacted 1 of 2
        + stratum("Enterprise", "Premium", 6, [True, True, False, False], [False, False, True, False], 10)
        # Consumer Basic 4–5: one contacted, no one to compare with
        + stratum("Consumer", "Basic", 5, [True], [False], 20)
    )
    result = followups.matched_churn(frame(rows), DATA_END)
    matched = result.matched
    # weights 4/6 and 2/6: difference = 4/6·(1/4 − 2/4) + 2/6·(0 − 1/2) = −1/3
    assert matched.difference.value == pytest.approx(-100 / 3)
    # variance = (4/6)²·(0.25·0.75/4 + 0.5·0.5/4) + (2/6)²·(0 + 0.25/2) = 0.0625, so se = 0.25
    assert matched.difference.ci_low == pytest.approx(-100 / 3 - 1.959964 * 25, abs=1e-3)
    assert matched.treated.value == pytest.approx(100 / 6) and matched.treated.n == 6
    assert matched.control.value == pytest.approx(100 * (4 / 6 * 0.5 + 2 / 6 * 0.5))
    assert (matched.strata, matched.unmatched_treated, matched.control_n) == (2, 1, 6)
    assert (result.contacted, result.not_contacted) == (7, 6)


def test_matched_churn_uses_a_one_week_landmark_and_only_complete_windows():
    rows = [
        item("A", 3, contact=T0 + DAY, churn_date=churned_after(30)),  # contacted, churned later: counts
        item("B", 3, churn_date=churned_after(3)),  # left within the week: in neither group
        item("C", 3, contact=T0 + 10 * DAY),  # contacted too late for the landmark: not contacted
        item("D", 3, at=datetime(2026, 12, 1), contact=datetime(2026, 12, 2)),  # 90 days not over yet
        item("E", 3, churn_date=churned_after(120)),  # churned after the window: stayed
    ]
    result = followups.matched_churn(frame(rows), DATA_END)
    strata = result.strata.set_index("band")
    assert (result.contacted, result.not_contacted) == (1, 2)
    assert strata.loc["0–3"].to_dict() == {
        "segment": "SMB",
        "plan": "Basic",
        "contacted_churned": 1,
        "contacted": 1,
        "not_contacted_churned": 0,
        "not_contacted": 2,
    }


def test_matched_churn_without_any_comparable_customers_has_no_estimate():
    rows = stratum("SMB", "Basic", 2, [True, True], [False, True], 0)
    assert followups.matched_churn(frame(rows), DATA_END).matched is None


def test_the_churn_period_is_cut_where_ninety_days_have_not_passed():
    recent = Filters(start=date(2026, 10, 3), end=date(2026, 12, 31))
    shifted = followups.churn_period(recent, date(2026, 12, 31))
    assert (shifted.start, shifted.end) == (date(2026, 7, 5), date(2026, 10, 2))  # 90 days each
    older = Filters(start=date(2026, 1, 1), end=date(2026, 12, 31))
    assert followups.churn_period(older, date(2026, 12, 31)).end == date(2026, 10, 2)


# --- the queue -----------------------------------------------------------------------------------

NOW = datetime(2026, 3, 4, 12, 0)


def queue_frame(rows: list[dict]) -> pd.DataFrame:
    base = frame(rows)
    for column in ("closed_at", "due_override"):
        base[column] = pd.NaT
    return base


def test_an_item_nobody_reached_by_its_due_time_is_overdue_and_outside_the_sla():
    rows = [
        item("OLD", 3, at=datetime(2026, 3, 1, 9)),  # due 3 Mar 09:00, nobody called: overdue
        item("NEW", 3, at=datetime(2026, 3, 4, 9)),  # due 6 Mar: still running
        item("FAST", 3, at=datetime(2026, 3, 1, 9), contact=datetime(2026, 3, 2, 9)),  # 24 h: in time
        item("LATE", 3, at=datetime(2026, 3, 1, 9), contact=datetime(2026, 3, 4, 9)),  # 72 h: late, not overdue
        item("ENT", 3, at=datetime(2026, 3, 3, 9), segment="Enterprise"),  # Enterprise: 24 h, overdue
    ]
    out = followups.with_sla(queue_frame(rows), followups.SlaPolicy(), NOW).set_index("customer_id")
    assert out["overdue"].to_dict() == {"OLD": True, "NEW": False, "FAST": False, "LATE": False, "ENT": True}
    assert out["within_sla"].astype("object").where(out["within_sla"].notna(), None).to_dict() == {
        "OLD": False,
        "NEW": None,
        "FAST": True,
        "LATE": False,
        "ENT": False,
    }
    assert out.loc["ENT", "due_at"] == pd.Timestamp("2026-03-04 09:00")
    assert out.loc["NEW", "hours_left"] == pytest.approx(45)
    assert out.loc["LATE", "contact_hours"] == pytest.approx(72)
    counts = followups.counts(out)
    assert (counts.open, counts.overdue, counts.unassigned) == (5, 2, 5)


def test_a_due_date_set_by_hand_wins_over_the_sla():
    rows = queue_frame([item("X", 3, at=datetime(2026, 3, 1, 9))])
    rows["due_override"] = pd.Timestamp("2026-03-10 09:00")
    out = followups.with_sla(rows, followups.SlaPolicy(), NOW)
    assert not out["overdue"].iloc[0] and out["due_at"].iloc[0] == pd.Timestamp("2026-03-10 09:00")


def test_time_to_first_contact_has_a_median_with_interval_a_p90_and_the_share_within_sla():
    rows = [item(f"C{k}", 3, at=datetime(2026, 2, 1, 9), contact=datetime(2026, 2, 1, 9) + k * timedelta(hours=10))
            for k in range(1, 11)]  # fmt: skip
    out = followups.with_sla(queue_frame(rows), followups.SlaPolicy(), NOW)
    overall = followups.contact_times(out)[0]
    assert overall.contacted == 10
    assert overall.median.value == pytest.approx(55)  # hours 10, 20, … 100
    assert overall.p90 == pytest.approx(91)
    assert (overall.within.n, overall.within.value) == (10, 40.0)  # 10, 20, 30, 40 h are within 48 h


def test_bulk_assignment_takes_the_open_unassigned_items_of_a_segment():
    rows = [
        item("A", 3, segment="Enterprise"),
        item("B", 3, segment="Enterprise", owner="Marco"),
        item("C", 3, segment="SMB"),
        item("D", 3, segment="Enterprise", status="resolved"),
    ]
    out = followups.with_sla(queue_frame(rows), followups.SlaPolicy(), NOW)
    assert list(followups.to_assign(out, segments=["Enterprise"])["customer_id"]) == ["A"]
    assert list(followups.to_assign(out, segments=["Enterprise"], only_unassigned=False)["customer_id"]) == ["A", "B"]
    assert followups.to_assign(out).empty


def test_the_queue_holds_unhappy_answers_of_identified_customers_newest_first_with_their_state(db_file):
    day = datetime(2026, 3, 2, 9)
    path = build_db(
        db_file,
        customers=[{"customer_id": "C1", "name": "Northwind", "segment": "SMB", "plan": "Pro"}],
        interactions=[
            {"interaction_id": "I1", "customer_id": "C1", "occurred_at": day, "revenue": 100.0},
            {"interaction_id": "I2", "customer_id": "C1", "occurred_at": day, "revenue": 50.0},
        ],
        responses=[
            {"response_id": "R1", "customer_id": "C1", "responded_at": day, "survey": "nps", "score": 6},
            {"response_id": "R2", "customer_id": "C1", "responded_at": day + DAY, "survey": "csat", "score": 2},
            {"response_id": "R3", "customer_id": "C1", "responded_at": day, "survey": "ces", "score": 2},
            {"response_id": "R4", "customer_id": "C1", "responded_at": day, "survey": "nps", "score": 7},
            {"response_id": "R5", "customer_id": "C1", "responded_at": day, "survey": "csat", "score": 3},
            {"response_id": "R6", "customer_id": None, "responded_at": day, "survey": "nps", "score": 0},
        ],
    )
    store.save_item(path, store.ItemChange("R1", 0, {"owner": "Priya"}), store.Actor("Priya"))
    march = Filters(date(2026, 3, 1), date(2026, 3, 31))
    with db.reading(path) as backend:
        out = followups.queue(backend, march, followups.SlaPolicy(), NOW)
        for_figures = followups.queue(backend, march, followups.SlaPolicy(), NOW, for_figures=True)
    # The Overview's figures skip each customer's revenue to date (a scan of their whole history) and the
    # comment text, and carry the churn date: the rest is the same.
    assert "value" not in for_figures and "comment" not in for_figures and for_figures["churn_date"].isna().all()
    pd.testing.assert_frame_equal(for_figures.drop(columns="churn_date"), out.drop(columns=["value", "comment"]))
    assert list(out["response_id"]) == ["R2", "R1", "R3"]
    first = out.set_index("response_id").loc["R1"]
    assert (first["owner"], first["version"], first["status"], first["value"], first["name"]) == (
        "Priya",
        1,
        "new",
        150.0,
        "Northwind",
    )
    assert out.set_index("response_id").loc["R2", "version"] == 0


def test_an_item_closed_without_contact_after_its_due_time_missed_the_sla_but_one_closed_in_time_did_not():
    rows = queue_frame(
        [
            item("LATE", 3, at=datetime(2026, 3, 1, 9), status="wont_fix"),
            item("QUICK", 3, at=datetime(2026, 3, 1, 9), status="wont_fix"),
        ]
    )
    rows["closed_at"] = pd.to_datetime(["2026-03-04 09:00", "2026-03-01 12:00"])
    out = followups.with_sla(rows, followups.SlaPolicy(), NOW).set_index("customer_id")
    late = out.loc["LATE", "within_sla"]
    assert not pd.isna(late) and not late
    assert pd.isna(out.loc["QUICK", "within_sla"])
    assert not out["overdue"].any()


def test_the_calendar_clock_in_a_local_data_time_zone_counts_real_hours_across_daylight_saving():
    policy = followups.SlaPolicy(data_timezone="Europe/Berlin")
    rows = queue_frame([item("X", 3, at=datetime(2026, 3, 28, 12, 0), contact=datetime(2026, 3, 29, 12, 0))])
    out = followups.with_sla(rows, policy, datetime(2026, 3, 30))
    assert out["due_at"].iloc[0] == pd.Timestamp("2026-03-30 13:00")  # 48 real hours: one hour more on the wall clock
    assert out["contact_hours"].iloc[0] == pytest.approx(23)
