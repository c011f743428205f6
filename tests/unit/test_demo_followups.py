"""The demo's follow-up history: consistent with its audit, and telling its story."""

from __future__ import annotations

from dataclasses import replace

import duckdb
import pandas as pd
import pytest

from cx.analysis import followups, metrics
from cx.analysis.filters import Filters
from cx.store import db


def rows(path, sql):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def year(demo_db):
    with db.reading(demo_db) as backend:
        policy, _ = followups.stored_policy(backend)
        end = metrics.data_range(backend)[1]
        return followups.did_it_work(backend, Filters.default(today=end, days=365), policy, policy.now())


def test_every_item_has_one_audit_row_per_version_and_follows_its_answer(demo_db):
    assert rows(
        demo_db,
        """SELECT count(*) FROM followups f
           LEFT JOIN (SELECT response_id, count(*) AS n, max(version) AS v FROM followup_changes
                      WHERE subject = 'item' GROUP BY 1) c USING (response_id)
           WHERE c.n IS DISTINCT FROM f.version OR c.v IS DISTINCT FROM f.version""",
    ) == [(0,)]
    assert rows(
        demo_db,
        """SELECT count(*) FROM followups f JOIN responses r USING (response_id)
           WHERE f.first_contact_at < r.responded_at OR f.closed_at < f.first_contact_at
              OR f.first_contact_at > now() OR (f.status IN ('new', 'contacted')) <> (f.closed_at IS NULL)""",
    ) == [(0,)]


def test_the_team_has_a_year_of_history_with_fast_and_slow_owners(year):
    assert year.followed_up > 100
    speeds = {c.group: c.median.value for c in year.by_owner if c.contacted >= 20}
    assert speeds["Priya Patel"] < speeds["Diego Reyes"]


def test_contacted_detractors_churn_less_with_an_interval_that_excludes_no_difference(year):
    matched = year.churn.matched
    assert matched.difference.value < 0 and matched.difference.ci_high < 0
    assert matched.comparison.significant


def test_the_demo_records_you_said_we_did_actions_and_an_sla(demo_db):
    assert rows(demo_db, "SELECT touchpoint FROM followup_actions ORDER BY taken_on") == [
        ("Billing inquiry",),
        ("Setup call",),
    ]
    assert rows(demo_db, "SELECT name, version FROM followup_settings") == [("sla", 1)]


@pytest.mark.parametrize("days", [30, 90, 365])
def test_the_figures_read_both_periods_at_once_as_two_queries_would(demo_db, days):
    """did_it_work reads the filter period and the one whose 90 days have passed in one query, then
    splits it: the same items, recovery and churn as each period queried on its own."""
    with db.reading(demo_db) as backend:
        policy, _ = followups.stored_policy(backend)
        now, end = policy.now(), metrics.data_range(backend)[1]
        filters = Filters.default(today=end, days=days)
        churn_filters = followups.churn_period(filters, end)
        figures = followups.did_it_work(backend, filters, policy, now)
        items = followups.queue(backend, filters, policy, now)
        churn_items = followups.queue(backend, churn_filters, policy, now)
        churn_dates = backend.table("customers").select("customer_id", "churn_date").execute()
        later = followups._later_answers(backend, churn_items, churn_filters.start)
    assert (figures.outcomes_from, figures.outcomes_to) == (churn_filters.start, churn_filters.end)
    assert figures.items == len(items) > 0
    assert figures.followed_up == int(items["first_contact_at"].notna().sum())
    assert figures.overall == followups.contact_times(items)[0]
    assert figures.by_segment == followups.contact_times(items, "segment")
    assert figures.recovery == followups.recovery(churn_items, later)
    churn = followups.matched_churn(churn_items.merge(churn_dates, on="customer_id", how="left"), end)
    assert replace(figures.churn, strata=None) == replace(churn, strata=None)
    pd.testing.assert_frame_equal(figures.churn.strata, churn.strata)
