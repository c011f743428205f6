"""Row-level scope: a person limited to some customers gets figures over those customers only, from any function."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from cx.analysis import metrics, scope
from cx.analysis.filters import Filters
from cx.store import db
from tests.conftest import build_db

JAN = Filters.build(date(2026, 1, 1), date(2026, 1, 31))
EUROPE = (("region", ("Europe",)),)
DAY = datetime(2026, 1, 10)


@pytest.fixture
def two_regions(db_file):
    """Europe: two promoters and a detractor (NPS 33.3). America: three detractors. One anonymous promoter."""
    customers = [
        dict(customer_id="e1", region="Europe", segment="SMB"),
        dict(customer_id="e2", region="Europe", segment="Enterprise"),
        dict(customer_id="a1", region="America", segment="SMB"),
    ]
    scores = [("e1", 10), ("e1", 9), ("e2", 3), ("a1", 0), ("a1", 2), ("a1", 5), (None, 10)]
    responses = [dict(response_id=f"r{i}", customer_id=c, responded_at=DAY, survey="nps", score=s)
                 for i, (c, s) in enumerate(scores)]  # fmt: skip
    interactions = [dict(interaction_id=f"i{i}", customer_id=c, occurred_at=DAY, channel=ch)
                    for i, (c, ch) in enumerate([("e1", "Email"), ("a1", "Phone"), ("a1", "Chat")])]  # fmt: skip
    attributes = [dict(customer_id="e1", attribute="Contract", value="Two year"),
                  dict(customer_id="a1", attribute="Contract", value="Monthly")]  # fmt: skip
    return build_db(db_file, customers=customers, responses=responses, interactions=interactions,
                    attributes=attributes)  # fmt: skip


def scoped(path, limit, function, *args):
    with db.reading(path) as backend:
        return function(scope.restrict(backend, limit), *args)


def test_nps_in_a_scope_counts_only_that_scopes_customers(two_regions):
    everyone = scoped(two_regions, (), metrics.summary, "nps", JAN).current
    europe = scoped(two_regions, EUROPE, metrics.summary, "nps", JAN).current
    assert (everyone.n, europe.n) == (7, 3)
    assert europe.value == pytest.approx(100 * (2 - 1) / 3)


def test_a_filter_cannot_widen_a_scope(two_regions):
    asked_for_america = JAN.with_values(region=["America"])
    assert scoped(two_regions, EUROPE, metrics.summary, "nps", asked_for_america).current.n == 0


def test_the_filter_options_a_scoped_person_sees_are_only_their_own(two_regions):
    assert scoped(two_regions, EUROPE, metrics.field_values, "region") == ["Europe"]
    assert scoped(two_regions, EUROPE, metrics.field_values, "channel") == ["Email"]


def test_a_scope_on_a_customer_attribute_limits_like_a_field(two_regions):
    contract = (("attr.Contract", ("Monthly",)),)
    assert scoped(two_regions, contract, metrics.summary, "nps", JAN).current.n == 3  # a1's three answers


def test_two_limits_in_one_scope_both_apply(two_regions):
    both = (("region", ("Europe",)), ("segment", ("SMB",)))
    assert scoped(two_regions, both, metrics.summary, "nps", JAN).current.n == 2  # e1 only


def test_a_table_that_cannot_be_limited_is_refused_under_a_scope(two_regions):
    with db.reading(two_regions) as backend:
        limited = scope.restrict(backend, EUROPE)
        assert limited.table("imports").count().execute() == 0  # open: no customer data
        with pytest.raises(scope.ScopeError, match='"import_rejects" cannot be limited to your scope'):
            limited.table("import_rejects")
        assert scope.is_scoped(limited) and not scope.is_scoped(backend)


def test_no_scope_gives_the_backend_itself():
    marker = object()
    assert scope.restrict(marker, ()) is marker


def test_the_chosen_filters_always_include_the_scope():
    limit = (("region", ("Asia", "Europe")),)
    assert scope.within({"from": ["2026-01-01"]}, limit) == {"from": ["2026-01-01"], "region": ["Asia", "Europe"]}
    assert scope.within({"region": ["Europe", "America"]}, limit) == {"region": ["Europe"]}
    assert scope.within({"region": ["America"]}, limit) == {"region": ["Asia", "Europe"]}
    assert scope.within({"segment": ["SMB"]}, ()) == {"segment": ["SMB"]}


def test_a_table_about_answers_is_limited_through_the_answers_it_is_about(two_regions):
    with db.writing(two_regions) as con:  # as a comment analysis or follow-up table would be
        con.execute("CREATE TABLE answer_notes AS SELECT response_id, 'seen' AS note FROM responses")
    with db.reading(two_regions) as backend:
        limited = scope.restrict(backend, EUROPE)
        assert sorted(limited.table("answer_notes").execute()["response_id"]) == ["r0", "r1", "r2"]


def test_themes_count_only_the_comments_in_scope(two_regions):
    with db.writing(two_regions) as con:  # r0-r2 are Europe's answers, r3-r5 America's
        con.execute("""INSERT INTO themes VALUES (1, 'Billing', 'model', '[]', '[]', 4, now()),
                                                 (2, 'Delivery', 'model', '[]', '[]', 2, now())""")
        con.execute(
            "INSERT INTO comment_themes VALUES ('r0', 1, 1), ('r3', 1, 1), ('r4', 1, 1), ('r5', 1, 1),"
            " ('r3', 2, 1), ('r4', 2, 1)"
        )
    with db.reading(two_regions) as backend:
        themes = scope.restrict(backend, EUROPE).table("themes").order_by("theme_id").execute()
        whole = backend.table("themes").order_by("theme_id").execute()
    assert dict(zip(themes["name"], themes["comments"], strict=True)) == {"Billing": 1, "Delivery": 0}
    assert whole["comments"].tolist() == [4, 2]
