"""python -m cx demo | import | metrics

Each subcommand lives beside the code it drives and exposes
`add_arguments(parser)` and `run(args) -> exit status`.
"""

from __future__ import annotations

import argparse
import importlib
import sys

SUBCOMMANDS = {
    "demo": ("cx.demo", "build the seeded demo database"),
    "import": ("cx.ingest.cli", "import CSV, Excel or Parquet exports"),
    "metrics": ("cx.metrics_cli", "print the headline metrics"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cx", description="CX dashboard command line")
    commands = parser.add_subparsers(dest="command", required=True)
    modules = {}
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        module = importlib.import_module(module_name)
        module.add_arguments(commands.add_parser(name, help=help_text, description=module.__doc__))
        modules[name] = module
    args = parser.parse_args(argv)
    return modules[args.command].run(args)


if __name__ == "__main__":
    sys.exit(main())
