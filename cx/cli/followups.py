"""The follow-up queue from the command line, for teams that work from their CRM.

  python -m cx followups list [--json] [--from DATE] [--to DATE] [--where FIELD=VALUE ...]
                              [--status STATUS ...] [--owned-by NAME | --unassigned] [--overdue]
  python -m cx followups export FILE.csv [the same filters]
  python -m cx followups assign --owner NAME (--segment S | --touchpoint T | --response ID) ...
                              [--include-assigned]

Without --from/--to the queue covers the last 90 days of data, as the page does. `list --json`
prints a JSON list of items (every stored and computed field; times as ISO 8601, null when
missing). The CSV export neutralises anything a spreadsheet would run as a formula. `assign` gives
the open items of the chosen segments, touchpoints or answers to one owner; items someone changed
meanwhile are left alone and reported. Who assigns is $CX_USER (else the login name); where a
roles file exists, only editors may (cx.cli.access). Exit status: 0 done, 1 database busy, 2 usage
error, 3 not allowed (nothing changed).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, timedelta

import pandas as pd

from cx.analysis import followups, metrics
from cx.analysis.filters import Filters
from cx.cli import access
from cx.cli.metrics import parse_where
from cx.reports import exports
from cx.store import db
from cx.store import followups as store
from cx.store.followup_rules import OPEN, STATUS_LABELS
from cx.store.schema import FOLLOWUP_STATUSES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True)
    for name, help_text in (("list", "print the queue"), ("export", "write the queue to a CSV file")):
        sub = actions.add_parser(name, help=help_text)
        if name == "export":
            sub.add_argument("file", help="the CSV file to write")
        _queue_options(sub)
        if name == "list":
            sub.add_argument("--json", action="store_true", help="print a JSON list of items")
    assign = actions.add_parser("assign", help="give open items to an owner")
    _queue_options(assign)
    assign.add_argument("--owner", required=True, help="who takes the items")
    assign.add_argument("--segment", action="append", default=[], help="items of customers in this segment")
    assign.add_argument("--touchpoint", action="append", default=[], help="items after this touchpoint")
    assign.add_argument("--response", action="append", default=[], help="this answer's item (its response id)")
    assign.add_argument("--include-assigned", action="store_true", help="also take items someone already owns")


def _queue_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="database file (default: $CX_DB or data/cx.duckdb)")
    parser.add_argument("--from", dest="start", type=date.fromisoformat, help="first day, YYYY-MM-DD")
    parser.add_argument("--to", dest="end", type=date.fromisoformat, help="last day, YYYY-MM-DD (inclusive)")
    parser.add_argument("--where", action="append", default=[], metavar="FIELD=VALUE", help="as in cx metrics")
    parser.add_argument("--status", action="append", choices=FOLLOWUP_STATUSES, help="only these statuses")
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--owned-by", dest="owned_by", metavar="NAME", help="only this owner's items")
    who.add_argument("--unassigned", action="store_true", help="only items nobody owns")
    parser.add_argument("--overdue", action="store_true", help="only overdue items")


def _queue(args: argparse.Namespace) -> tuple[pd.DataFrame, followups.SlaPolicy]:
    with db.reading(args.db) as backend:
        policy, _ = followups.stored_policy(backend)
        span = metrics.data_range(backend)
        last = span[1] if span else date.today()
        end = args.end or last
        start = args.start or (end - timedelta(days=89))
        filters = Filters.build(start, end, **parse_where(args.where))
        frame = followups.queue(backend, filters, policy, policy.now())
    owner = "" if args.unassigned else args.owned_by
    return followups.select(frame, statuses=args.status or (), owner=owner, overdue_only=args.overdue), policy


def _json_items(frame: pd.DataFrame) -> list[dict]:
    exported = followups.export_frame(frame)
    text = exported.to_json(orient="records", date_format="iso", date_unit="s", force_ascii=False)
    return json.loads(text)


def _print_table(frame: pd.DataFrame) -> None:
    if frame.empty:
        print("No items match.")
        return
    for row in frame.itertuples():
        due = "OVERDUE" if row.overdue else ("" if row.status not in OPEN else f"due {row.due_at:%Y-%m-%d %H:%M}")
        print(
            f"{row.response_id}  {row.responded_at:%Y-%m-%d %H:%M}  {row.survey.upper()} {row.score:<2}  "
            f"{STATUS_LABELS[row.status]:<11}  {row.owner if isinstance(row.owner, str) else '-':<16}  "
            f"{row.customer_id}  {row.segment if isinstance(row.segment, str) else '-':<10}  {due}"
        )
    print(f"{len(frame):,} items, {int(frame['overdue'].sum()):,} overdue.")


def run(args: argparse.Namespace) -> int:
    try:
        frame, _ = _queue(args)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    except db.DatabaseBusy as busy:
        print(busy, file=sys.stderr)
        return 1
    if args.action == "list":
        if args.json:
            print(json.dumps(_json_items(frame), ensure_ascii=False, indent=2))
        else:
            _print_table(frame)
        return 0
    if args.action == "export":
        path = exports.write_csv(followups.export_frame(frame), args.file)
        print(f"{len(frame):,} items written to {path}.")
        return 0
    return _assign(args, frame)


def _assign(args: argparse.Namespace, frame: pd.DataFrame) -> int:
    if not (args.segment or args.touchpoint or args.response):
        print("Say which items to assign: --segment, --touchpoint or --response.", file=sys.stderr)
        return 2
    chosen = followups.to_assign(
        frame,
        segments=args.segment,
        touchpoints=args.touchpoint,
        only_unassigned=not args.include_assigned,
    ) if (args.segment or args.touchpoint) else frame.iloc[0:0]  # fmt: skip
    if args.response:
        picked = frame[frame["response_id"].isin(args.response) & frame["status"].isin(OPEN)]
        if not args.include_assigned:
            picked = picked[picked["owner"].isna()]
        chosen = pd.concat([chosen, picked]).drop_duplicates("response_id")
        missing = sorted(set(args.response) - set(frame["response_id"]))
        if missing:
            print(f"Not in the queue (check the dates and filters): {', '.join(missing)}", file=sys.stderr)
    changes = [
        store.ItemChange(row.response_id, int(row.version), {"owner": args.owner}, customer_id=row.customer_id)
        for row in chosen.itertuples()
    ]
    try:
        operator = access.require("editor", "assigning follow-ups")
        who = store.Actor(operator.who, role=operator.role, via="cli")
        result = store.change_items(args.db, changes, who, skip_conflicts=True)
    except (access.NotAllowed, store.NotAllowed) as refused:
        print(refused, file=sys.stderr)
        return access.EXIT_NOT_ALLOWED
    except db.DatabaseBusy as busy:
        print(busy, file=sys.stderr)
        return 1
    print(f"Assigned {len(result.saved):,} items to {args.owner}.")
    for conflict in result.conflicts:
        print(f"  {conflict.response_id}: {conflict.message.split(':')[0]}; left as it is.")
    return 0
