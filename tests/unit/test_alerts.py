"""Alert rules: a planted drop fires, the same data without it does not; thresholds need a significant
crossing; the command line prints, e-mails through a local SMTP sink and exits by what it found."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta

import pytest

from cx.reports import alerts
from cx.store import db
from tests.conftest import ROOT, build_db

LAST_DAY = datetime(2026, 11, 30, 12)
SEGMENTS = ("A", "B", "C")
CUSTOMERS = [{"customer_id": f"{s}{i}", "segment": s} for s in SEGMENTS for i in range(300)]
DROP_RULE = """
[[rule]]
name = "NPS drops for a segment"
metric = "nps"
change = "worse"
by = "segment"
days = 30
"""
SLOW_RULE = """
[[rule]]
name = "First response p90 over 8 h"
metric = "first_response_time"
statistic = "p90"
above = "8h"
days = 30
"""


def nps_answers(drop_in: str | None) -> list[dict]:
    """Each segment 120 answers in each of the two 30-day windows; with `drop_in`, that segment's recent
    answers fall from mostly 9-10 to mostly 0-6."""
    rows = []
    for segment in SEGMENTS:
        for window, days_ago in (("old", 45), ("new", 10)):
            scores = [10] * 80 + [8] * 20 + [3] * 20
            if window == "new" and segment == drop_in:
                scores = [10] * 20 + [8] * 20 + [3] * 80
            rows += [{"response_id": f"{segment}-{window}-{i}", "customer_id": f"{segment}{i}", "survey": "nps",
                      "responded_at": LAST_DAY - timedelta(days=days_ago, minutes=i), "score": s}
                     for i, s in enumerate(scores)]  # fmt: skip
    return rows


def fired(path, text: str) -> list[alerts.Alert]:
    with db.reading(path) as backend:
        return alerts.check(backend, alerts.parse(text))


def test_a_planted_nps_drop_in_one_segment_fires_naming_it(db_file):
    build_db(db_file, customers=CUSTOMERS, responses=nps_answers(drop_in="B"))
    [alert] = fired(db_file, DROP_RULE)
    assert alert.rule == "NPS drops for a segment" and alert.group == "B"
    # B: (20 - 80) / 120 = -50 now, (80 - 20) / 120 = +50 before.
    assert alert.text.startswith("NPS for segment B -50, down 100 pts on the previous 30 days")
    assert alert.text.endswith("n = 120 (22 Oct 2026 – 20 Nov 2026).")  # the last 30 days of data


def test_the_same_data_without_the_drop_fires_nothing(db_file):
    build_db(db_file, customers=CUSTOMERS, responses=nps_answers(drop_in=None))
    assert fired(db_file, DROP_RULE) == []


def test_a_rise_is_not_a_drop(db_file):
    rows = nps_answers(drop_in=None)
    for row in rows:  # B improves instead
        if row["response_id"].startswith("B-new") and row["score"] == 3:
            row["score"] = 10
    build_db(db_file, customers=CUSTOMERS, responses=rows)
    assert fired(db_file, DROP_RULE) == []
    assert [a.group for a in fired(db_file, DROP_RULE.replace('"worse"', '"better"'))] == ["B"]


def interactions(slow: bool) -> list[dict]:
    """200 first responses in the last 30 days: 1 h each, or with `slow` a tenth of them 20 h and another
    tenth 12 h, so the 90th percentile sits far above 8 h."""
    rows = []
    for i in range(200):
        seconds = 3600.0
        if slow and i % 10 == 0:
            seconds = 20 * 3600.0
        if slow and i % 10 == 1:
            seconds = 12 * 3600.0
        rows.append({"interaction_id": f"i{i}", "customer_id": f"A{i % 300}", "channel": "Email",
                     "occurred_at": LAST_DAY - timedelta(days=i % 28, minutes=i), "response_time_s": seconds})  # fmt: skip
    return rows


def test_a_slow_ninetieth_percentile_fires_the_threshold_rule(db_file):
    build_db(db_file, customers=CUSTOMERS, interactions=interactions(slow=True))
    [alert] = fired(db_file, SLOW_RULE)
    # 80% at 1 h, 10% at 12 h, 10% at 20 h: the 90th percentile lies between 12 and 20 h.
    assert alert.text.startswith("90th percentile of first response 13 h (95% 12–20 h), over the threshold of 8.0 h")
    assert "n = 200" in alert.text


def test_a_fast_ninetieth_percentile_fires_nothing(db_file):
    build_db(db_file, customers=CUSTOMERS, interactions=interactions(slow=False))
    assert fired(db_file, SLOW_RULE) == []


def test_a_threshold_inside_the_interval_does_not_fire_and_one_below_it_does(db_file):
    """Responses 3,000 s, 3,003 s, ... : p90 ≈ 3,537 s with a 95% interval of about 3,513–3,564 s."""
    rows = interactions(slow=False)
    for i, row in enumerate(rows):
        row["response_time_s"] = 3000.0 + i * 3
    build_db(db_file, customers=CUSTOMERS, interactions=rows)
    assert fired(db_file, SLOW_RULE.replace('"8h"', '"3540s"')) == []
    assert len(fired(db_file, SLOW_RULE.replace('"8h"', '"3400s"'))) == 1


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('[[rule]]\nname = "x"\nmetric = "wow"\nchange = "worse"', "metric must be one of"),
        ('[[rule]]\nname = "x"\nmetric = "nps"', "give either change"),
        ('[[rule]]\nname = "x"\nmetric = "nps"\nchange = "down"', "change is worse, better or any"),
        ('[[rule]]\nname = "x"\nmetric = "first_response_time"\nabove = "soon"', "not a threshold"),
        ('[[rule]]\nname = "x"\nmetric = "nps"\nstatistic = "p90"\nabove = 3', "statistic is value, or p90"),
        ('[[rule]]\nname = "x"\nmetric = "nps"\nchange = "any"\nby = "shoe size"', "by is one of"),
        ("[[rule]\nname=", "not valid TOML"),
    ],
)
def test_a_rule_that_cannot_be_used_is_refused_with_its_name_and_reason(text, reason):
    with pytest.raises(alerts.RulesError, match=reason):
        alerts.parse(text)


def test_durations_take_their_unit():
    rules = alerts.parse('[[rule]]\nname = "x"\nmetric = "first_response_time"\nabove = "90min"')
    assert rules.rules[0].above == 5400


def cx(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cx", *args], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env=env)  # fmt: skip


def test_the_command_e_mails_a_fired_alert_and_exits_1(db_file, tmp_path, smtp_sink):
    sink, port = smtp_sink
    build_db(db_file, customers=CUSTOMERS, responses=nps_answers(drop_in="C"))
    rules = tmp_path / "alerts.toml"
    rules.write_text('mail_to = ["cx-leads@example.org"]\n' + DROP_RULE)
    env = {"PATH": "/usr/bin:/bin", "CX_SMTP_HOST": "127.0.0.1", "CX_SMTP_PORT": str(port), "CX_SMTP_SECURITY": "none",
           "CX_SMTP_FROM": "cx@example.org"}  # fmt: skip
    result = cx("alerts", "--db", str(db_file), "--rules", str(rules), env=env)
    assert result.returncode == 1, result.stderr
    assert "NPS drops for a segment: NPS for segment C -50" in result.stdout
    [message], [envelope] = sink.messages, sink.envelopes
    recipients = envelope.rcpt_tos
    assert recipients == ["cx-leads@example.org"]
    assert message["Subject"] == "CX alert: NPS drops for a segment"
    assert "NPS for segment C -50, down 100 pts" in message.get_body(("plain",)).get_content()


def test_the_command_is_quiet_and_exits_0_without_a_drop(db_file, tmp_path, smtp_sink):
    sink, port = smtp_sink
    build_db(db_file, customers=CUSTOMERS, responses=nps_answers(drop_in=None))
    rules = tmp_path / "alerts.toml"
    rules.write_text('mail_to = ["cx-leads@example.org"]\n' + DROP_RULE)
    env = {"PATH": "/usr/bin:/bin", "CX_SMTP_HOST": "127.0.0.1", "CX_SMTP_PORT": str(port), "CX_SMTP_SECURITY": "none"}
    result = cx("alerts", "--db", str(db_file), "--rules", str(rules), "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []
    assert sink.messages == []


def test_the_command_without_a_rules_file_says_where_it_looked(db_file, tmp_path):
    build_db(db_file, customers=CUSTOMERS)
    result = cx("alerts", "--db", str(db_file), "--rules", str(tmp_path / "none.toml"))
    assert result.returncode == 2 and "none.toml does not exist" in result.stderr
