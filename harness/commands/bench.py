"""``harness bench``: run a benchmark suite (estimators × datasets × settings) and
compare two suite results."""

from __future__ import annotations

import argparse
from pathlib import Path

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


# The Python API's functions (harness.sdk.bench): one code path for both doors.
def cmd_list(opts: argparse.Namespace) -> int:
    from harness.cli.output import print_table
    from harness.sdk.bench import list_bench_suites

    rows = [(s["name"], s["cells"], s["description"]) for s in list_bench_suites()]
    print_table(
        "benchmark suites (harness bench run NAME)", ("suite", "cells", "description"), rows
    )
    return 0


def cmd_run(opts: argparse.Namespace) -> int:
    import sys

    from harness.bench import report
    from harness.cli.output import print_json, print_table
    from harness.sdk.bench import bench_exit_code, run_bench

    echo = (
        (lambda line: print(line, file=sys.stderr, flush=True))
        if opts.format == "json"
        else (lambda line: print(line, flush=True))
    )
    result = run_bench(
        opts.suite, opts.overrides, opts.out, echo, command=["harness", "bench", *opts.argv]
    )
    doc = {k: v for k, v in result.items() if k != "files"}
    if opts.format == "json":
        print_json(doc)
    else:
        print_table(report.title(doc), report.COLUMNS, report.rows(doc))
        for kind, path in result["files"].items():
            print(f"{kind}: {path}")
    return bench_exit_code(doc)


def cmd_compare(opts: argparse.Namespace) -> int:
    from harness.bench import compare
    from harness.cli.output import print_json, print_table
    from harness.sdk.bench import compare_bench

    data = compare_bench(opts.before, opts.after, opts.threshold)
    if opts.format == "json":
        print_json(data)
    else:
        print_table(
            f"bench compare (threshold {opts.threshold:.0%})",
            ("cell", "metric", "before", "after", "change", "verdict", "note"),
            compare.table([compare.Row(**row) for row in data["rows"]]),
        )
        print(
            f"{data['regressions']} regression(s) beyond {opts.threshold:.0%}"
            if data["regressions"]
            else f"no regression beyond {opts.threshold:.0%}"
        )
    return 1 if data["regressions"] else 0


ACTIONS = {"run": cmd_run, "compare": cmd_compare, "list": cmd_list}


def main(args: list[str]) -> int:
    opts = build_parser().parse_args(args)
    opts.argv = list(args)
    return ACTIONS[opts.action](opts)
