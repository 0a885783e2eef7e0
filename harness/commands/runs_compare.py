"""``harness runs compare|plot``: several runs side by side, as a table or a PNG."""

from __future__ import annotations

import argparse
from typing import Any

from harness.cli.output import print_json, print_table
from harness.run.record import flatten
from harness.run.store import RunStore
from harness.sdk.compare import compare_runs, plot_runs


def add_parsers(sub: Any) -> None:
    compare = sub.add_parser("compare", help="params that differ and final metrics of runs")
    compare.add_argument("run_ids", nargs="+", metavar="RUN_ID")
    compare.add_argument("--all", action="store_true", help="also params that are equal")
    compare.add_argument("--format", choices=("table", "json"), default="table")
    plot = sub.add_parser("plot", help="metric curves of runs into a PNG (matplotlib)")
    plot.add_argument("run_ids", nargs="+", metavar="RUN_ID")
    plot.add_argument(
        "--metric", action="append", default=[], help="metric to draw (repeatable; default all)"
    )
    plot.add_argument("-o", "--output", default="harness-plot.png", help="PNG file to write")
    plot.add_argument("--size", default="1000x600", help="image size in pixels, WIDTHxHEIGHT")


def cmd_compare(store: RunStore, opts: argparse.Namespace) -> int:
    # The Python API's compare_runs: one code path for the shell and a notebook.
    data = compare_runs(opts.run_ids, opts.all, workspace=store.root.parent)
    if opts.format == "json":
        print_json(data)
        return 0
    records = [store.get(run_id) for run_id in data["runs"]]
    statuses = data["status"]
    flats = [flatten(r.params) for r in records]
    differing = list(data["params"])
    metric_names = list(data["metrics"])
    finals = [
        {k: data["metrics"][k][r.id] for k in metric_names if data["metrics"][k][r.id] is not None}
        for r in records
    ]
    from harness.cli.output import format_value

    rows: list[list[Any]] = [["status", *(statuses[r.id] for r in records)]]
    rows += [[k, *(_cell(f.get(k)) for f in flats)] for k in differing]
    rows += [
        [
            f"metric: {k}" + (f" ({data['goals'][k]})" if k in data["goals"] else ""),
            *(format_value(m[k]) if k in m else "-" for m in finals),
        ]
        for k in metric_names
    ]
    print_table(
        "params that differ, and final metrics" if not opts.all else "params and final metrics",
        ("", *(r.id for r in records)),
        rows,
    )
    return 0


def _cell(value: Any) -> str:
    return "-" if value is None else str(value)


def cmd_plot(store: RunStore, opts: argparse.Namespace) -> int:
    result = plot_runs(
        opts.run_ids, opts.output, opts.metric, opts.size, workspace=store.root.parent
    )
    print(f"wrote {result['path']} ({', '.join(result['metrics'])})")
    return 0


ACTIONS = {"compare": cmd_compare, "plot": cmd_plot}
