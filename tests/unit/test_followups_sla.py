"""The SLA clock: calendar hours, business hours, time zones and daylight saving, by hand."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from cx.analysis.followups import BusinessHours, SlaPolicy, SlaRule, clock_hours, due_at

OFFICE = BusinessHours(time(9), time(17), (0, 1, 2, 3, 4))  # 8 h a day, Monday to Friday


def test_calendar_hours_run_round_the_clock():
    assert due_at(datetime(2026, 3, 6, 16, 0), 48, SlaPolicy()) == datetime(2026, 3, 8, 16, 0)  # Friday → Sunday


def test_business_hours_skip_nights_and_the_weekend():
    policy = SlaPolicy(business_hours=OFFICE)
    # Friday 16:00 + 24 working hours: Fri 1 h, Mon 8 h, Tue 8 h, Wed 7 h → Wednesday 16:00.
    assert due_at(datetime(2026, 3, 6, 16, 0), 24, policy) == datetime(2026, 3, 11, 16, 0)


def test_an_answer_outside_business_hours_starts_the_clock_at_the_next_opening():
    policy = SlaPolicy(business_hours=OFFICE)
    assert due_at(datetime(2026, 3, 7, 10, 0), 4, policy) == datetime(2026, 3, 9, 13, 0)  # Saturday → Monday 13:00
    assert due_at(datetime(2026, 3, 9, 20, 0), 1, policy) == datetime(2026, 3, 10, 10, 0)  # Monday night → Tuesday


def test_a_deadline_exactly_at_closing_time_stays_on_that_day():
    policy = SlaPolicy(business_hours=OFFICE)
    assert due_at(datetime(2026, 3, 9, 9, 0), 8, policy) == datetime(2026, 3, 9, 17, 0)


def test_clock_hours_count_only_business_hours_between_two_times():
    policy = SlaPolicy(business_hours=OFFICE)
    assert clock_hours(datetime(2026, 3, 6, 16, 0), datetime(2026, 3, 9, 10, 0), policy) == pytest.approx(2.0)
    assert clock_hours(datetime(2026, 3, 9, 10, 0), datetime(2026, 3, 6, 16, 0), policy) == pytest.approx(-2.0)
    assert clock_hours(datetime(2026, 3, 7, 8, 0), datetime(2026, 3, 8, 20, 0), policy) == 0.0  # a weekend


def test_clock_hours_and_due_at_agree():
    policy = SlaPolicy(business_hours=OFFICE)
    start = datetime(2026, 3, 4, 15, 30)
    assert clock_hours(start, due_at(start, 30, policy), policy) == pytest.approx(30)


def test_business_hours_are_counted_in_the_team_time_zone():
    # Stored times are UTC; the team works 9–17 in Berlin (UTC+1 in winter).
    policy = SlaPolicy(business_hours=OFFICE, timezone="Europe/Berlin", data_timezone="UTC")
    # 07:30 UTC is 08:30 in Berlin: the clock starts at 09:00 Berlin = 08:00 UTC.
    assert due_at(datetime(2026, 3, 2, 7, 30), 2, policy) == datetime(2026, 3, 2, 10, 0)
    # 16:30 UTC is 17:30 in Berlin: closed; next morning 08:00 UTC + 1 h.
    assert due_at(datetime(2026, 3, 2, 16, 30), 1, policy) == datetime(2026, 3, 3, 9, 0)


def test_business_hours_follow_daylight_saving_time():
    policy = SlaPolicy(business_hours=OFFICE, timezone="Europe/Berlin", data_timezone="UTC")
    # Friday 27 March 2026, 16:00 UTC = 17:00 CET (closed). Berlin moves to CEST (UTC+2) on Sunday 29 March,
    # so Monday opens at 09:00 CEST = 07:00 UTC.
    assert due_at(datetime(2026, 3, 27, 16, 0), 1, policy) == datetime(2026, 3, 30, 8, 0)


def test_calendar_hours_are_real_hours_across_a_daylight_saving_change():
    # Stored times in Berlin local time: the night of 28–29 March 2026 has only 23 hours on the wall clock.
    policy = SlaPolicy(data_timezone="Europe/Berlin")
    assert due_at(datetime(2026, 3, 28, 12, 0), 24, policy) == datetime(2026, 3, 29, 13, 0)
    assert clock_hours(datetime(2026, 3, 28, 12, 0), datetime(2026, 3, 29, 12, 0), policy) == pytest.approx(23)


def test_the_strictest_matching_rule_sets_the_hours():
    policy = SlaPolicy(
        default_hours=48, rules=(SlaRule(24, segment="Enterprise"), SlaRule(12, segment="Enterprise", survey="nps"))
    )
    assert policy.hours_for("SMB", "nps") == 48
    assert policy.hours_for("Enterprise", "csat") == 24
    assert policy.hours_for("Enterprise", "nps") == 12
    assert policy.hours_for(None, "nps") == 48


def test_the_policy_round_trips_through_json_and_says_what_it_is():
    policy = SlaPolicy(
        default_hours=36,
        rules=(SlaRule(8, segment="Enterprise"),),
        business_hours=OFFICE,
        timezone="America/New_York",
        starts_on=date(2026, 1, 1),
    )
    assert SlaPolicy.from_dict(policy.to_dict()) == policy
    assert SlaPolicy.from_dict(None) == SlaPolicy()
    assert policy.describe() == (
        "Follow up within 36 h (Enterprise: 8 h), in business hours 09:00–17:00 Mon, Tue, Wed, Thu, Fri "
        "(America/New_York)."
    )


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "is not a time zone"),
        ({"default_hours": 0}, "not possible"),
        ({"business_hours": {"start": "17:00", "end": "09:00"}}, "must end after they start"),
        ({"business_hours": {"weekdays": []}}, "at least one working day"),
        ({"rules": [{"segment": "SMB"}]}, "incomplete"),
    ],
)
def test_a_bad_setting_is_refused_in_words(setting, message):
    with pytest.raises(ValueError, match=message):
        SlaPolicy.from_dict(setting)
