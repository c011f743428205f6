"""Benchmark: the dashboard at 1M, 10M (and 50M) interactions, against the pandas way and raw SQL.

  python -m cx bench [--interactions N ...] [--db PATH] [--repeat N] [--sections ...] [--out DIR]

For each size it builds the demo database once (bench/data/demo-<size>.duckdb, or --db), timing
the build and its peak memory, then reuses it. It reports, as medians of --repeat runs:

- pages: each page's whole script (AppTest, a process per page): cold, warm, after a filter
  change, with the process's peak memory (cx.app.bench);
- browser: a filter change to the redrawn Overview and Trends in Chromium, on a real server
  (cx.app.bench_browser), with the server's peak memory;
- figures: the same figures from our metric layer, as raw DuckDB SQL and the pandas way (tables
  read into memory once, then groupby), each in a process of its own, with the ratios and a check
  that the three agree (cx.cli.bench_figures);
- import: 1M interactions from a CSV through `import` (then again: all duplicates) against
  DuckDB's own read_csv of the same file;
- comments: the comment analysis done after an import, on --comments distinct comments;
- the targets of issue 13, each met or missed.

It writes bench/results/<size>.json and .md and prints the table; sections left out by --sections
keep what the earlier file measured, and say when (`carry_over`). It asserts nothing: speed is
measured here, never in a test. Timings taken while other work runs on the machine say so
(the load average is recorded).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from cx.analysis import rolled
from cx.cli.bench_figures import FIGURES

ROOT = Path(__file__).resolve().parents[2]
PAGES = (
    ("dashboard.py", "Overview"),
    ("pages/1_Trends.py", "Trends"),
    ("pages/2_Journey.py", "Journey"),
    ("pages/3_Segments.py", "Segments"),
    ("pages/5_Comments.py", "Comments"),
)
SECTIONS = ("demo", "pages", "browser", "figures", "import", "comments")
IMPORT_ROWS = 1_000_000


def size_label(interactions: int) -> str:
    return f"{interactions // 1_000_000}M" if interactions % 1_000_000 == 0 else f"{interactions:,}"


def measured(command: list[str], env: dict | None = None) -> tuple[float, float, str]:
    """Run a command; its wall time (s), its own peak memory (MiB) and its standard output."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, cwd=ROOT, env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        if process.returncode:
            raise RuntimeError(f"{' '.join(command)} failed:\n{err.read()[-3000:]}")
        return wall, usage.ru_maxrss / 1024, out.read()


def last_json(output: str) -> dict:
    return json.loads(output.strip().splitlines()[-1])


# --- sections ----------------------------------------------------------------------------------


def bench_demo(path: Path, interactions: int) -> dict:
    customers, responses = interactions // 50, interactions // 10
    command = [sys.executable, "-m", "cx", "demo", "--db", str(path), "--customers", str(customers),
               "--interactions", str(interactions), "--responses", str(responses), "--force"]  # fmt: skip
    print(f"building the demo database ({interactions:,} interactions) at {path} ...", flush=True)
    wall, peak, _ = measured(command)
    return {"interactions": interactions, "customers": customers, "responses": responses, "wall_s": wall,
            "peak_mib": peak}  # fmt: skip


def bench_pages(path: Path, repeat: int) -> list[dict]:
    rows = []
    for page, name in PAGES:
        print(f"  page {name} ...", flush=True)
        _, _, output = measured([sys.executable, "-m", "cx.app.bench", str(path), page, str(repeat)])
        rows.append({"name": name, **last_json(output)})
    return rows


def bench_browser(path: Path, repeat: int) -> dict:
    print("  browser (Chromium) ...", flush=True)
    _, _, output = measured([sys.executable, "-m", "cx.app.bench_browser", str(path), str(repeat)])
    return last_json(output)


def bench_figures(path: Path, repeat: int) -> dict:
    ways = {}
    for way in ("metric", "sql", "pandas"):
        print(f"  figures the {way} way ...", flush=True)
        _, _, output = measured([sys.executable, "-m", "cx.cli.bench_figures", str(path), way, str(repeat)])
        ways[way] = last_json(output)
    return ways


def _agree(a: object, b: object, tolerance: float = 1e-6) -> bool:
    """Same figure: numbers to 1e-6 relative (or `tolerance`); groups compared on the keys both have."""
    if isinstance(a, dict) and isinstance(b, dict):
        common = set(a) & set(b)
        return bool(common) and all(_agree(a[k], b[k], tolerance) for k in common)
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= tolerance * max(1.0, abs(a), abs(b))


def tolerance(key: str) -> float:
    """How far our figure may be from the exact one: medians come from the rollups' histograms."""
    return rolled.QUANTILE_ERROR + 1e-9 if key.startswith("median") else 1e-6


def bench_import(path: Path, folder: Path) -> dict:
    """1M interactions from a CSV: our import, a re-import (all duplicates), DuckDB's read_csv."""
    from cx.ingest import importer  # the import path, in this process: Python's start-up is not the import

    csv = folder / "interactions.csv"
    con = duckdb.connect(str(path), read_only=True)
    rows = min(IMPORT_ROWS, con.execute("SELECT count(*) FROM interactions").fetchall()[0][0])
    con.execute(
        f"""COPY (SELECT interaction_id, customer_id, occurred_at, channel, journey_stage, touchpoint, outcome,
                         response_time_s, resolution_time_s, revenue
                  FROM interactions ORDER BY interaction_id LIMIT {rows}) TO '{csv}' (FORMAT csv, HEADER)"""
    )
    con.close()
    target = folder / "import.duckdb"
    started = time.perf_counter()
    first = importer.import_file(csv, file_name=csv.name, db=target, kind="interactions")
    ours = time.perf_counter() - started
    started = time.perf_counter()
    again = importer.import_file(csv, file_name=csv.name, db=target, kind="interactions")
    duplicates = time.perf_counter() - started
    raw = duckdb.connect(str(folder / "raw.duckdb"))
    started = time.perf_counter()
    raw.execute(f"CREATE TABLE interactions AS SELECT * FROM read_csv('{csv}')")
    duckdb_read = time.perf_counter() - started
    raw.close()
    return {
        "rows": rows,
        "imported": first.imported,
        "duplicates_found": again.duplicates,
        "import_s": ours,
        "reimport_duplicates_s": duplicates,
        "duckdb_read_csv_s": duckdb_read,
    }


# --- the report --------------------------------------------------------------------------------


def targets(result: dict) -> list[dict]:
    """Issue 13's targets, each with what was measured and whether it is met (None: not measured)."""
    out = []

    def add(target: str, measured_text: str, met: bool | None) -> None:
        out.append({"target": target, "measured": measured_text, "met": met})

    pages = result.get("pages")
    if pages:
        slowest_change = max(pages, key=lambda p: p["filter_change_s"])
        slowest_cold = max(pages, key=lambda p: p["cold_s"])
        add("every page < 1 s after a filter change",
            f"slowest: {slowest_change['name']} {slowest_change['filter_change_s']:.2f} s",
            slowest_change["filter_change_s"] < 1)  # fmt: skip
        add("every page < 3 s cold", f"slowest: {slowest_cold['name']} {slowest_cold['cold_s']:.2f} s",
            slowest_cold["cold_s"] < 3)  # fmt: skip
        if result["interactions"] >= 50_000_000:
            slowest = max(max(p["filter_change_s"], p["cold_s"]) for p in pages)
            add("50M still usable (< 3 s a page)", f"slowest: {slowest:.2f} s", slowest < 3)
    ways = result.get("figures")
    if ways:
        ours, sql, frames = (ways[w]["figures"] for w in ("metric", "sql", "pandas"))
        keys = [k for k, _ in FIGURES]
        per_figure = [frames[k]["median_s"] / ours[k]["median_s"] for k in keys]
        add("≥ 5× faster than the pandas way (frames in memory), every figure",
            f"{min(per_figure):.2f}× to {max(per_figure):.2f}×", min(per_figure) >= 5)  # fmt: skip
        memory = ways["pandas"]["peak_mib"] / ways["metric"]["peak_mib"]
        add("≥ 3× less memory than the pandas way",
            f"{ways['metric']['peak_mib']:.0f} MiB against {ways['pandas']['peak_mib']:.0f} MiB ({memory:.1f}×)",
            memory >= 3)  # fmt: skip
        with_load = [(ways["pandas"]["load_s"] + frames[k]["median_s"]) / ours[k]["median_s"] for k in keys]
        add("every figure ≥ 3× faster than the pandas way including its load",
            f"{min(with_load):.1f}× to {max(with_load):.1f}×", min(with_load) >= 3)  # fmt: skip
        to_sql = [ours[k]["median_s"] / sql[k]["median_s"] for k in keys]
        add("every figure no slower than 2× raw SQL once warm", f"{min(to_sql):.1f}× to {max(to_sql):.1f}× raw SQL",
            max(to_sql) <= 2)  # fmt: skip
    imported = result.get("import")
    if imported:
        ratio = imported["import_s"] / imported["duckdb_read_csv_s"]
        add(f"import of {imported['rows']:,} rows within 2× of DuckDB's read_csv",
            f"{imported['import_s']:.1f} s against {imported['duckdb_read_csv_s']:.1f} s ({ratio:.1f}×)",
            ratio <= 2)  # fmt: skip
    demo = result.get("demo")
    if demo and result["interactions"] == 10_000_000:
        add("the 10M demo built in < 60 s and < 2 GB",
            f"{demo['wall_s']:.0f} s, {demo['peak_mib'] / 1024:.1f} GiB",
            demo["wall_s"] < 60 and demo["peak_mib"] < 2048)  # fmt: skip
    return out


MEASURED = ("pages", "browser", "figures", "import", "comments")  # the sections --sections may leave out


def carry_over(result: dict, earlier: dict, sections: list[str]) -> None:
    """Sections not run this time keep what the earlier run measured, saying when and at which commit."""
    carried = {}
    for name in MEASURED:
        if name not in sections and name in earlier:
            result[name] = earlier[name]
            carried[name] = earlier.get("carried", {}).get(name, f"{earlier['taken_at']}, commit {earlier['commit']}")
    if carried:
        result["carried"] = carried


def markdown(result: dict) -> str:
    size = size_label(result["interactions"])
    lines = [
        f"# Benchmark at {size} interactions",
        "",
        f"{result['taken_at']}, commit {result['commit']}, {result['machine']}; medians of {result['repeat']} runs. "
        f"Load average before / after: {result['load_before']} / {result['load_after']}"
        + (" (**taken under load**: other work shared the machine)" if result["under_load"] else "")
        + ".",
        "",
    ]
    if carried := result.get("carried"):
        lines += ["Not measured in this run, kept from an earlier one: "
                  + "; ".join(f"{name} ({when})" for name, when in carried.items()) + ".", ""]  # fmt: skip
    if demo := result.get("demo"):
        lines += [f"Demo database built ({demo.get('taken_at', 'this run')}) in {demo['wall_s']:.0f} s, peak memory {demo['peak_mib']:.0f} MiB "
                  f"({demo['customers']:,} customers, {demo['interactions']:,} interactions, "
                  f"{demo['responses']:,} responses).", ""]  # fmt: skip
    if pages := result.get("pages"):
        lines += ["## Pages (AppTest, the page's whole script; one process per page)", "",
                  "| page | cold | warm | after a filter change | its queries | peak memory |",
                  "|---|---:|---:|---:|---:|---:|"]  # fmt: skip
        lines += [f"| {p['name']} | {p['cold_s']:.2f} s | {p['warm_s']:.3f} s | {p['filter_change_s']:.2f} s "
                  f"| {p.get('filter_change_queries', '–')} | {p['peak_mib']:.0f} MiB |" for p in pages]  # fmt: skip
        lines.append("")
    if browser := result.get("browser"):
        lines += ["## In Chromium (a real server; the filter typed into the sidebar)", "",
                  "| page | first view (fresh server) | reload, all cached | filter change → redrawn |",
                  "|---|---:|---:|---:|"]  # fmt: skip
        lines += [f"| {p['name']} | {p['first_view_s']:.1f} s | {p['cached_reload_s']:.2f} s "
                  f"| {p['filter_change_s']:.2f} s |" for p in browser["pages"]]  # fmt: skip
        lines += ["", f"Server peak memory: {browser['server_peak_mib']:.0f} MiB.", ""]
    if ways := result.get("figures"):
        ours, sql, frames = (ways[w]["figures"] for w in ("metric", "sql", "pandas"))
        load = ways["pandas"]["load_s"]
        lines += ["## Figures: our metric layer, raw DuckDB SQL and the pandas way", "",
                  f"The pandas way first reads the three tables into memory: {load:.1f} s, "
                  f"{ways['pandas']['frames_mib']:.0f} MiB of frames; peak memory "
                  f"{ways['pandas']['peak_mib']:.0f} MiB against our {ways['metric']['peak_mib']:.0f} MiB "
                  f"(raw SQL: {ways['sql']['peak_mib']:.0f} MiB).", "",
                  "| figure | ours | raw SQL | pandas (in memory) | ours ÷ SQL | pandas ÷ ours | pandas + load ÷ ours "
                  "| same value |", "|---|---:|---:|---:|---:|---:|---:|:---:|"]  # fmt: skip
        for key, title in FIGURES:
            a, b, c = ours[key]["median_s"], sql[key]["median_s"], frames[key]["median_s"]
            agree = _agree(ours[key]["value"], sql[key]["value"], tolerance(key)) and _agree(
                sql[key]["value"], frames[key]["value"]
            )
            lines.append(f"| {title} | {a * 1000:.0f} ms | {b * 1000:.1f} ms | {c * 1000:.1f} ms | {a / b:.1f}× "
                         f"| {c / a:.2f}× | {(load + c) / a:.1f}× | {'yes' if agree else 'NO'} |")  # fmt: skip
        lines.append("")
    if steps := result.get("comments"):
        lines += ["## Comment analysis after an import (one run)", "", "| step | wall | CPU |", "|---|---:|---:|"]
        seconds = lambda s: f"{s:.2f} s" if s >= 0.1 else f"{s * 1000:.1f} ms"  # noqa: E731
        lines += [f"| {c['step']} | {seconds(c['wall_s'])} | {seconds(c['cpu_s'])} |" for c in steps]
        lines.append("")
    if imported := result.get("import"):
        rate = imported["rows"] / imported["import_s"]
        lines += ["## Import", "",
                  f"{imported['rows']:,} interactions from one CSV: `import` {imported['import_s']:.1f} s "
                  f"({rate:,.0f} rows/s), a re-import (all {imported['duplicates_found']:,} duplicates) "
                  f"{imported['reimport_duplicates_s']:.1f} s; DuckDB's own read_csv of the same file "
                  f"{imported['duckdb_read_csv_s']:.1f} s.", ""]  # fmt: skip
    lines += ["## Targets (issue 13)", "", "| target | measured | met |", "|---|---|:---:|"]
    for t in result["targets"]:
        met = "not measured" if t["met"] is None else ("yes" if t["met"] else "**no**")
        lines.append(f"| {t['target']} | {t['measured']} | {met} |")
    missing = [s for s in SECTIONS if s not in result and s != "demo"]
    if missing:
        lines += ["", f"Not run this time: {', '.join(missing)}."]
    return "\n".join(lines) + "\n"


# --- command line ------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--interactions", type=int, nargs="+", default=[1_000_000, 10_000_000],
                        help="sizes to measure (default 1M and 10M; 50000000 for 50M)")  # fmt: skip
    parser.add_argument("--db", help="the database for a single size (built there when missing)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (median; default 5)")
    parser.add_argument("--sections", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    parser.add_argument("--rebuild", action="store_true", help="build the demo database even when it exists")
    parser.add_argument("--comments", type=int, default=10_000, help="distinct comments to analyse (default 10,000)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"), help="where the JSON and Markdown go")


def _commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def run(args: argparse.Namespace) -> int:
    if args.db and len(args.interactions) > 1:
        print("--db names one database: give one --interactions size with it", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for interactions in args.interactions:
        label = size_label(interactions)
        path = Path(args.db) if args.db else ROOT / "bench" / "data" / f"demo-{label}.duckdb"
        path.parent.mkdir(parents=True, exist_ok=True)
        load_before = round(os.getloadavg()[0], 1)
        result: dict = {
            "interactions": interactions,
            "database": str(path),
            "repeat": args.repeat,
            "taken_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": _commit(),
            "machine": f"{os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}",
            "load_before": load_before,
        }
        earlier = out / f"{label}.json"
        if args.rebuild or not path.exists():
            if "demo" not in args.sections:
                print(f"{path} does not exist: add the demo section to build it", file=sys.stderr)
                return 2
            result["demo"] = bench_demo(path, interactions)
            result["demo"]["taken_at"] = result["taken_at"]
        elif earlier.exists() and "demo" in json.loads(earlier.read_text()):
            result["demo"] = json.loads(earlier.read_text())[
                "demo"
            ]  # the database is reused: its build as measured then
        print(f"benchmarking {path} ({label} interactions) ...", flush=True)
        if "pages" in args.sections:
            result["pages"] = bench_pages(path, args.repeat)
        if "browser" in args.sections:
            result["browser"] = bench_browser(path, args.repeat)
        if "figures" in args.sections:
            result["figures"] = bench_figures(path, args.repeat)
        if "import" in args.sections:
            with tempfile.TemporaryDirectory(prefix="cx-bench-") as folder:
                result["import"] = bench_import(path, Path(folder))
        if "comments" in args.sections:
            from cx.ingest import comments

            result["comments"] = [{"step": name, "wall_s": wall, "cpu_s": cpu}
                                  for name, wall, cpu in comments.benchmark(args.comments)]  # fmt: skip
        if earlier.exists():
            carry_over(result, json.loads(earlier.read_text()), args.sections)
        result["load_after"] = round(os.getloadavg()[0], 1)
        # More runnable work than cores, before or after: the figures were taken while other work ran.
        result["under_load"] = max(load_before, result["load_after"]) > 0.5 * (os.cpu_count() or 1)
        result["targets"] = targets(result)
        table = markdown(result)
        (out / f"{label}.json").write_text(json.dumps(result, indent=1) + "\n")
        (out / f"{label}.md").write_text(table)
        print("\n" + table)
    return 0
