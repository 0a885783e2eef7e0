"""``harness bench``: run a benchmark suite (estimators × datasets × settings) and
compare two suite results."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.errors import ConfigError
from harness.ids import new_id

EPILOG = """examples:
  harness bench list
  harness bench run ci                              # CI-sized: tiny synthetic files, 2 epochs
  harness bench run                                 # the built-in suite (default)
  harness bench run default datasets.mnist.path=~/data/mnist target_accuracy=0.95
  harness bench run my_suite.yaml --out results/today
  harness bench compare before/results.json after/results.json --threshold 0.1
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness bench",
        description="Benchmark suites: every cell is a harness run in one sweep.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="action", required=True)
    run = sub.add_parser("run", help="run a suite; writes results.json/.md and a PNG plot")
    run.add_argument(
        "suite", nargs="?", default="default", help="a built-in suite name or a suite YAML file"
    )
    run.add_argument(
        "overrides", nargs="*", help="suite overrides, key=value (e.g. target_accuracy=0.95)"
    )
    run.add_argument("--out", type=Path, help="output folder (default $HARNESS_HOME/bench/<id>)")
    run.add_argument("--format", choices=("table", "json"), default="table")
    compare = sub.add_parser("compare", help="compare two results.json files; exit 1 on regression")
    compare.add_argument("before", help="results.json of the baseline")
    compare.add_argument("after", help="results.json to check")
    compare.add_argument(
        "--threshold",
        type=float,
        default=0.05,
        help="relative change counted as a regression (default 0.05 = 5%%)",
    )
    compare.add_argument("--format", choices=("table", "json"), default="table")
    sub.add_parser("list", help="the built-in suites")
    return parser


def cmd_list(opts: argparse.Namespace) -> int:
    from harness.bench.suite import available_suites, load_suite
    from harness.cli.output import print_table

    rows = []
    for name in available_suites():
        suite = load_suite(name)
        rows.append((name, len(suite.cells), suite.description))
    print_table(
        "benchmark suites (harness bench run NAME)", ("suite", "cells", "description"), rows
    )
    return 0


def cmd_run(opts: argparse.Namespace) -> int:
    import sys

    from harness.bench import report, runner
    from harness.bench.suite import load_suite
    from harness.cli.output import print_json, print_table
    from harness.storage.workspace import harness_home

    if "=" in opts.suite:  # `harness bench run key=value`: the default suite, overridden
        opts.overrides, opts.suite = [opts.suite, *opts.overrides], "default"
    bad = [o for o in opts.overrides if "=" not in o]
    if bad:
        raise ConfigError(f"suite overrides are key=value; got '{bad[0]}'")
    suite = load_suite(opts.suite, opts.overrides)
    bench_id = new_id()
    out_dir = (opts.out or harness_home() / "bench" / bench_id).expanduser().resolve()
    if (out_dir / "results.json").exists():
        raise ConfigError(f"{out_dir} already holds a results.json; choose another --out")
    out_dir.mkdir(parents=True, exist_ok=True)
    echo = (
        (lambda line: print(line, file=sys.stderr, flush=True))
        if opts.format == "json"
        else (lambda line: print(line, flush=True))
    )
    doc = runner.run_suite(suite, out_dir, bench_id, ["harness", "bench", *opts.argv], echo)
    files = report.write_all(doc, out_dir)
    if opts.format == "json":
        print_json(doc)
    else:
        print_table(report.title(doc), report.COLUMNS, report.rows(doc))
        for kind, path in files.items():
            print(f"{kind}: {path}")
    if doc["interrupted"]:
        return 130
    failed = [c for c in doc["cells"] if c["status"] not in ("Completed", "Skipped")]
    return 1 if failed else 0


def cmd_compare(opts: argparse.Namespace) -> int:
    from harness.bench import compare
    from harness.cli.output import print_json, print_table

    if opts.threshold < 0:
        raise ConfigError("--threshold must be >= 0 (a relative change, 0.05 = 5%)")
    rows = compare.compare(compare.load(opts.before), compare.load(opts.after), opts.threshold)
    regressions = [r for r in rows if r.regression]
    if opts.format == "json":
        print_json(
            {
                "threshold": opts.threshold,
                "regressions": len(regressions),
                "rows": compare.to_json(rows),
            }
        )
    else:
        print_table(
            f"bench compare (threshold {opts.threshold:.0%})",
            ("cell", "metric", "before", "after", "change", "verdict", "note"),
            compare.table(rows),
        )
        print(
            f"{len(regressions)} regression(s) beyond {opts.threshold:.0%}"
            if regressions
            else f"no regression beyond {opts.threshold:.0%}"
        )
    return 1 if regressions else 0


ACTIONS = {"run": cmd_run, "compare": cmd_compare, "list": cmd_list}


def main(args: list[str]) -> int:
    opts = build_parser().parse_args(args)
    opts.argv = list(args)
    return ACTIONS[opts.action](opts)
