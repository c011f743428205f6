"""Periods from links and the command line: validated, clamped, never overflowing the calendar."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from cx.analysis import metrics
from cx.analysis.filters import EARLIEST, Filters, PeriodError, link_notes, parse_period
from cx.store import db
from tests.conftest import build_db

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 6, 30)
DEFAULT = (date(2026, 4, 2), TODAY)


def far_future_db(path: Path) -> Path:
    """Ordinary answers, and one interaction and one answer dated on the calendar's last day."""
    responses = [dict(response_id=str(i), responded_at=datetime(2026, 3, 1 + i % 28), survey="nps", score=i % 11)
                 for i in range(60)]  # fmt: skip
    responses.append(dict(response_id="far", responded_at=datetime(9999, 12, 31), survey="nps", score=0))
    interactions = [dict(interaction_id="far", occurred_at=datetime(9999, 12, 31, 23, 59), response_time_s=60.0)]
    return build_db(path, responses=responses, interactions=interactions)


def test_a_period_ending_on_the_calendars_last_day_filters_without_overflow(db_file):
    far_future_db(db_file)
    with db.reading(db_file) as backend:
        result = metrics.summary(backend, "nps", Filters(start=date(2026, 1, 1), end=date.max))
    assert result.current.n == 61  # 9999-12-31 included, no OverflowError


def test_the_previous_period_of_one_starting_on_the_calendars_first_day_stays_in_the_calendar():
    previous = Filters(start=date.min, end=date(1, 1, 10)).previous()
    assert previous.start == date.min and previous.end == date.min


def test_dates_outside_1900_to_a_year_ahead_are_clamped_with_a_note():
    (start, end), notes = parse_period("0001-01-01", "9999-12-31", DEFAULT, today=TODAY)
    assert (start, end) == (EARLIEST, date(2027, 7, 1))
    assert len(notes) == 2 and "0001-01-01" in notes[0] and "9999-12-31" in notes[1]


def test_a_period_that_ends_before_it_starts_is_an_error():
    with pytest.raises(PeriodError, match="ends \\(2026-01-01\\) before it starts \\(2026-12-01\\)"):
        parse_period("2026-12-01", "2026-01-01", DEFAULT, today=TODAY)


def test_text_that_is_not_a_date_is_an_error_naming_it():
    with pytest.raises(PeriodError, match='"31/12/2026" is not a date'):
        parse_period("31/12/2026", None, DEFAULT, today=TODAY)


def test_a_link_says_why_its_dates_were_not_used():
    assert link_notes({"from": ["2026-05-01"], "to": ["2026-02-01"]}, today=TODAY)[0].startswith(
        "The period ends (2026-02-01) before it starts (2026-05-01)."
    )
    assert link_notes({"from": ["2026-05-01"]}, today=TODAY) == []


def test_link_values_lose_nul_and_control_characters_and_stay_bounded():
    parsed = Filters.from_query_params({"channel": ["\x00", "Chat\x00\x1b"], "segment": ["x" * 10_000]}, today=TODAY)
    assert parsed.values("channel") == ("", "Chat")
    assert parsed.values("segment") == ("x" * 500,)


def test_a_nul_in_a_filter_value_is_inert_in_the_query(db_file):
    far_future_db(db_file)
    filters = Filters.from_query_params({"from": "2026-01-01", "to": "2026-12-31", "channel": "\x00"}, today=TODAY)
    with db.reading(db_file) as backend:
        assert metrics.summary(backend, "nps", filters).current.n == 0  # no ParserException, no match


def cx_metrics(db_file: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cx", "metrics", "--db", str(db_file), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_metrics_command_clamps_a_far_future_end_and_says_so(db_file):
    far_future_db(db_file)
    done = cx_metrics(db_file, "--from", "2026-01-01", "--to", "9999-12-31", "--json")
    assert done.returncode == 0, done.stderr
    assert "9999-12-31 is outside the dates we show" in done.stderr
    assert f'"to": "{parse_period(None, "9999-12-31", DEFAULT)[0][1].isoformat()}"' in done.stdout


def test_metrics_command_refuses_a_reversed_period(db_file):
    far_future_db(db_file)
    done = cx_metrics(db_file, "--from", "2026-12-01", "--to", "2026-01-01")
    assert done.returncode == 2
    assert done.stdout == "" and "error: The period ends (2026-01-01) before it starts (2026-12-01)." in done.stderr
    assert "Traceback" not in done.stderr


def test_metrics_command_over_data_with_a_far_future_date_has_no_traceback(db_file):
    far_future_db(db_file)
    done = cx_metrics(db_file)
    assert done.returncode == 0 and "Traceback" not in done.stderr
    assert "NPS" in done.stdout
