"""Saved decks: views in order, each with its filters, under a name, optionally frozen."""

from __future__ import annotations

from datetime import datetime

import pytest

from cx.store import decks
from cx.store.decks import Deck, Slide

OVERVIEW = Slide("dashboard.py", {"from": ["2026-09-01"], "to": ["2026-11-30"]})
TRENDS = Slide("pages/1_Trends.py", {"metric": ["csat"], "segment": ["SMB", "Enterprise"]})


def test_a_saved_deck_comes_back_with_its_slides_in_order(db_file):
    decks.save(Deck("Monday review", (OVERVIEW, TRENDS)), db_file)
    assert decks.load("Monday review", db_file) == Deck("Monday review", (OVERVIEW, TRENDS), None)


def test_saving_under_the_same_name_replaces_the_deck(db_file):
    decks.save(Deck("Monday review", (OVERVIEW, TRENDS)), db_file)
    frozen = datetime(2026, 12, 1, 9, 30)
    decks.save(Deck("Monday review", (TRENDS,), frozen), db_file)
    assert decks.load("Monday review", db_file) == Deck("Monday review", (TRENDS,), frozen)
    assert decks.names(db_file) == ["Monday review"]


def test_a_deck_name_is_trimmed_and_found_as_typed(db_file):
    decks.save(Deck("  Board   pack ", (OVERVIEW,)), db_file)
    assert decks.names(db_file) == ["Board pack"]
    assert decks.load(" Board pack", db_file).name == "Board pack"


@pytest.mark.parametrize(("name", "reason"), [("   ", "needs a name"), ("x" * 81, "at most 80")])
def test_a_deck_name_that_cannot_be_one_is_refused_with_the_reason(db_file, name, reason):
    with pytest.raises(ValueError, match=reason):
        decks.save(Deck(name, (OVERVIEW,)), db_file)


def test_a_deleted_deck_is_gone(db_file):
    decks.save(Deck("Old", (OVERVIEW,)), db_file)
    assert decks.delete("Old", db_file) is True
    assert decks.load("Old", db_file) is None
    assert decks.delete("Old", db_file) is False


def test_a_deck_name_with_quotes_and_markup_is_stored_as_typed(db_file):
    name = "Q4 '26 <b>review</b>; DROP TABLE decks"
    decks.save(Deck(name, (OVERVIEW,)), db_file)
    assert decks.load(name, db_file).name == name
