"""Check the alert rules against the latest data; print (and e-mail) the alerts that fire.

  python -m cx alerts                        # rules from $CX_ALERTS or ./alerts.toml
  python -m cx alerts --rules my-rules.toml --mail-to cx-leads@example.com --json

See alerts.example.toml for the rules. A rule fires only for a statistically significant change or
threshold crossing (95%, Benjamini–Hochberg across groups), never on noise. Meant for cron: prints
one line per alert; exit 0 when nothing fired, 1 when an alert fired, 2 when the rules cannot be used,
3 when the alerts could not be e-mailed. E-mail goes to --mail-to and the file's mail_to, with the
SMTP settings from the environment (see README).
"""

from __future__ import annotations

import argparse
import json
import sys

from cx.reports import alerts, mail
from cx.store import db


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="database file (default: $CX_DB or data/cx.duckdb)")
    parser.add_argument("--rules", help="the rules file (default: $CX_ALERTS or ./alerts.toml)")
    parser.add_argument(
        "--mail-to", action="append", default=[], metavar="ADDRESS", help="e-mail fired alerts; repeatable"
    )
    parser.add_argument("--json", action="store_true", help="print the alerts as a JSON list")


def run(args: argparse.Namespace) -> int:
    try:
        rules = alerts.load(args.rules)
    except (alerts.RulesError, OSError) as problem:
        print(f"Cannot check the alerts: {problem}", file=sys.stderr)
        return 2
    if rules is None:
        print(f"No alert rules: {alerts.rules_path(args.rules)} does not exist (see alerts.example.toml).",
              file=sys.stderr)  # fmt: skip
        return 2
    with db.reading(args.db) as backend:
        fired = alerts.check(backend, rules)
    if args.json:
        print(json.dumps([{"rule": a.rule, "alert": a.text, "metric": a.metric, "group": a.group} for a in fired]))
    else:
        for alert in fired:
            print(f"{alert.rule}: {alert.text}")
        if not fired:
            print(f"No alert: {len(rules.rules)} rules checked, nothing significant.")
    recipients = [*args.mail_to, *rules.mail_to]
    if fired and recipients:
        body = "These alert rules fired on the latest data:\n\n" + "\n".join(f"- {a.rule}: {a.text}" for a in fired)
        body += "\n\nEach is statistically significant (95%, false discoveries controlled across groups).\n"
        try:
            mail.send(
                recipients,
                f"CX alert: {fired[0].rule}" + (f" and {len(fired) - 1} more" if len(fired) > 1 else ""),
                body,
            )
        except (mail.MailNotConfigured, OSError, ValueError) as problem:
            print(f"The alerts could not be e-mailed: {problem}", file=sys.stderr)
            return 3
        if not args.json:
            print(f"E-mailed to {', '.join(recipients)}.")
    return 1 if fired else 0
