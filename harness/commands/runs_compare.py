"""``harness runs compare|plot``: several runs side by side, as a table or a PNG."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from harness.cli.output import print_json, print_table
from harness.errors import ConfigError
from harness.run.record import flatten
from harness.run.store import RunStore


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


def compare_json(store: RunStore, run_ids: list[str], all_params: bool = False) -> dict[str, Any]:
    """`harness runs compare --format json`: params that differ, final metrics."""
    from harness.run.liveness import reconcile

    records = [reconcile(store, store.get(run_id)) for run_id in run_ids]
    flats = [flatten(r.params) for r in records]
    keys = sorted(set().union(*flats))
    _missing = object()
    differing = [
        k for k in keys if all_params or len({repr(f.get(k, _missing)) for f in flats}) > 1
    ]
    finals = [store.current_metrics(r) for r in records]
    metric_names = sorted({k for m in finals for k, v in m.items() if isinstance(v, (int, float))})
    return {
        "runs": [r.id for r in records],
        "status": {r.id: r.status for r in records},
        "params": {
            k: {r.id: f.get(k) for r, f in zip(records, flats, strict=False)} for k in differing
        },
        "metrics": {
            k: {r.id: m.get(k) for r, m in zip(records, finals, strict=False)} for k in metric_names
        },
    }


def cmd_compare(store: RunStore, opts: argparse.Namespace) -> int:
    data = compare_json(store, opts.run_ids, opts.all)
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
        [f"metric: {k}", *(format_value(m[k]) if k in m else "-" for m in finals)]
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
    from harness.cli.plotting import plot_runs

    try:
        width, height = (int(x) for x in opts.size.lower().split("x"))
        assert width >= 100 and height >= 100
    except (ValueError, AssertionError):
        raise ConfigError(
            f"--size '{opts.size}': write WIDTHxHEIGHT in pixels, each ≥ 100"
        ) from None
    records = [store.get(run_id) for run_id in opts.run_ids]
    output = Path(opts.output)
    if not output.parent.is_dir():
        raise ConfigError(f"no folder '{output.parent}' to write {output.name} into")
    drawn = plot_runs(records, opts.metric, output, (width, height))
    print(f"wrote {output} ({', '.join(drawn)})")
    return 0


ACTIONS = {"compare": cmd_compare, "plot": cmd_plot}
