"""python -m cx demo | import | imports | undo | metrics | bench | themes | report | alerts | followups | warehouse

Each subcommand lives beside the code it drives and exposes
`add_arguments(parser)` and `run(args) -> exit status`.
"""

from __future__ import annotations

import argparse
import importlib
import sys

SUBCOMMANDS = {
    "demo": ("cx.cli.demo", "build the seeded demo database"),
    "import": ("cx.cli.imports", "import CSV, Excel or Parquet exports"),
    "imports": ("cx.cli.history", "list the imports, newest first"),
    "undo": ("cx.cli.undo", "undo an import: remove exactly the rows it added"),
    "metrics": ("cx.cli.metrics", "print the headline metrics"),
    "bench": ("cx.cli.bench", "time the dashboard's queries against baselines"),
    "themes": ("cx.cli.themes", "recompute the comments' languages, sentiment and themes"),
    "report": ("cx.cli.report", "make the PDF report of a deck or a page, optionally e-mailed"),
    "alerts": ("cx.cli.alerts", "check the alert rules on the latest data, optionally e-mail what fires"),
    "followups": ("cx.cli.followups", "list, export or assign the follow-up queue"),
    "warehouse": ("cx.cli.warehouse", "copy the local database into a warehouse (PostgreSQL, Spark, …)"),
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m cx", description="CX dashboard command line")
    commands = parser.add_subparsers(dest="command", required=True)
    chosen = None
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        subparser = commands.add_parser(name, help=help_text, formatter_class=argparse.RawDescriptionHelpFormatter)
        if argv and argv[0] == name:  # import only the command being run: keeps start-up quick
            chosen = importlib.import_module(module_name)
            subparser.description = chosen.__doc__
            chosen.add_arguments(subparser)
    args = parser.parse_args(argv)
    from cx.cli.access import EXIT_NOT_ALLOWED, NotAllowed

    try:
        return chosen.run(args)
    except NotAllowed as refusal:  # a writing command the operator's role does not allow
        print(refusal.message, file=sys.stderr)
        return EXIT_NOT_ALLOWED
