"""Build the seeded demo database."""

from __future__ import annotations

import argparse
import sys

from cx.cli import access
from cx.ingest.demo import build_demo, has_data
from cx.store import audit
from cx.store.db import db_path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="database file (default: $CX_DB or data/cx.duckdb)")
    parser.add_argument("--customers", type=int, default=20_000, help="number of customers (default 20,000)")
    parser.add_argument(
        "--interactions", type=int, default=1_000_000, help="number of interactions (default 1,000,000)"
    )
    parser.add_argument("--responses", type=int, default=100_000, help="number of survey responses (default 100,000)")
    parser.add_argument("--seed", type=int, default=7, help="random seed: the same seed gives the same data")
    parser.add_argument("--force", action="store_true", help="replace a database that already holds data")


def run(args: argparse.Namespace) -> int:
    path = db_path(args.db)
    replacing = has_data(path)
    # Replacing data that is there throws away everyone's imports (and their audit trail): admins only.
    actor = access.require("admin", "replacing the database with demo data") if replacing and args.force else None
    if not args.force and replacing:
        print(
            f"{path} already holds data; not overwriting it. Use --force to replace it with demo data, "
            "or --db to choose another file.",
            file=sys.stderr,
        )
        return 1
    try:
        summary = build_demo(
            path, customers=args.customers, interactions=args.interactions, responses=args.responses, seed=args.seed
        )
    except ValueError as error:
        print(f"Cannot build the demo: {error}", file=sys.stderr)
        return 2
    if actor is not None:
        audit.record("demo", f"{path.name} replaced with demo data", actor=actor, db=path,
                     detail={"customers": args.customers, "interactions": args.interactions,
                             "responses": args.responses, "seed": args.seed})  # fmt: skip
    print(summary.line())
    return 0
