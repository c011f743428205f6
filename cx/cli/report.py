"""Make the PDF executive report of a saved deck or of one page, and optionally e-mail it.

  python -m cx report --deck "Monday review" -o review.pdf
  python -m cx report --page trends --from 2026-09-01 --to 2026-11-30 --where segment=SMB \\
                      --param metric=csat -o csat.pdf --size letter
  python -m cx report --deck "Monday review" -o /tmp/review.pdf --mail-to cx-team@example.com

--page is overview, trends, journey or segments. --from/--to/--where (and --param for a page's own
choices: metric, grain, split, by, driver) apply to every slide. Without dates, the last 90 days of data.
--as-of 2026-12-01T09:00 freezes the figures at that moment (only data imported by then); a frozen deck
keeps its own moment. --mail-to sends the PDF with the SMTP settings from the environment (see README).
Prints the progress to stderr and one summary line; exit 0 when done, 2 on bad input, 3 when mail fails.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from pathlib import Path

from cx.cli.metrics import parse_where
from cx.reports import mail, report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--deck", help="name of a saved deck")
    source.add_argument("--page", help="overview, trends, journey or segments")
    parser.add_argument("--db", help="database file (default: $CX_DB or data/cx.duckdb)")
    parser.add_argument("--from", dest="start", type=date.fromisoformat, help="first day, YYYY-MM-DD")
    parser.add_argument("--to", dest="end", type=date.fromisoformat, help="last day, YYYY-MM-DD (inclusive)")
    parser.add_argument("--where", action="append", default=[], metavar="FIELD=VALUE", help="filter; repeatable")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="a page's own choice, e.g. metric=csat, grain=month, split=region, by=plan")  # fmt: skip
    parser.add_argument("--as-of", dest="as_of", type=datetime.fromisoformat, help="freeze the figures at this moment")
    parser.add_argument("--size", choices=["a4", "letter"], default="a4", help="paper size (default A4)")
    parser.add_argument("-o", "--output", required=True, help="the PDF file to write")
    parser.add_argument("--mail-to", action="append", default=[], metavar="ADDRESS", help="e-mail the PDF; repeatable")
    parser.add_argument("--subject", help="subject of the e-mail (default: the report's title and period)")


def _params(args: argparse.Namespace) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    if args.start:
        params["from"] = [args.start.isoformat()]
    if args.end:
        params["to"] = [args.end.isoformat()]
    if bool(args.start) != bool(args.end):
        raise ValueError("--from and --to go together.")
    params.update(parse_where(args.where))
    for item in args.param:
        name, separator, value = item.partition("=")
        if not separator or not name.strip():
            raise ValueError(f"--param takes NAME=VALUE, got {item!r}")
        params.setdefault(name.strip(), []).append(value.strip())
    return params


def _progress(fraction: float, step: str) -> None:
    filled = int(fraction * 20)
    print(
        f"\r[{'#' * filled}{'.' * (20 - filled)}] {fraction:4.0%} {step[:60]:<60}", end="", file=sys.stderr, flush=True
    )


def run(args: argparse.Namespace) -> int:
    try:
        params = _params(args)
        made = report.build(deck=args.deck, page=args.page, params=params, as_of=args.as_of, size=args.size,
                            database=args.db, progress=_progress)  # fmt: skip
    except ValueError as problem:
        print(f"Cannot make the report: {problem}", file=sys.stderr)
        return 2
    print(file=sys.stderr)
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(made.pdf)
    timing = made.timing
    print(f"{output}: {made.pages} pages, {made.title}, {made.period}, {made.filters}; {timing.charts} charts; "
          f"{timing.seconds:.1f} s (charts {timing.chart_seconds:.1f} s, starting Chromium {timing.kaleido_start_seconds:.1f} s)")  # fmt: skip
    if args.mail_to:
        subject = args.subject or f"CX review: {made.title}, {made.period}"
        body = (f"The CX review '{made.title}' for {made.period} ({made.filters}) is attached: {made.pages} pages.\n\n"
                "Every figure has its sample size and a 95% interval; definitions are at the end.\n")  # fmt: skip
        try:
            mail.send(args.mail_to, subject, body, [mail.Attachment(output.name, made.pdf)])
        except (mail.MailNotConfigured, OSError, ValueError) as problem:
            print(f"The report is written, but could not be e-mailed: {problem}", file=sys.stderr)
            return 3
        print(f"E-mailed to {', '.join(args.mail_to)}.")
    return 0
