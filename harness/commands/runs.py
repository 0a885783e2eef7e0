"""``harness runs``: the run history in the workspace."""

from __future__ import annotations

import argparse
from typing import Any

from harness.output import print_json, print_table, warn
from harness.run import metrics
from harness.run.record import RunRecord
from harness.run.store import RunStore


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness runs", description="Run history in the workspace."
    )
    sub = parser.add_subparsers(dest="action", required=True)
    listing = sub.add_parser("list", help="runs, newest first")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    listing.add_argument("--experiment", help="only runs of this experiment")
    listing.add_argument("--status", help="only runs with this status (e.g. Failed)")
    listing.add_argument("--limit", type=int, default=None, help="at most this many runs")
    show = sub.add_parser("show", help="one run: params, metrics, files, provenance")
    show.add_argument("run_id", help="a run id, or a prefix naming one run")
    show.add_argument("--format", choices=("table", "json"), default="table")
    return parser


def summary_json(store: RunStore, record: RunRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "experiment": record.experiment,
        "status": record.status,
        "estimator": record.estimator,
        "compute": record.compute,
        "created": record.created,
        "started": record.started,
        "ended": record.ended,
        "sweep_id": record.sweep_id,
        "tags": record.tags,
        "error": record.error,
        "metrics": store.current_metrics(record),
    }


def detail_json(store: RunStore, record: RunRecord) -> dict[str, Any]:
    assert record.path is not None
    data = summary_json(store, record)
    data.update(
        {
            "params": record.params,
            "overrides": record.overrides,
            "history": metrics.history(record.path),
            "files": store.files(record),
            "provenance": record.provenance,
            "world_size": record.world_size,
            "path": str(record.path),
        }
    )
    return data


def _scalar_metrics(values: dict[str, Any]) -> str:
    from harness.summary import format_value

    return "  ".join(
        f"{k}={format_value(v)}" for k, v in sorted(values.items()) if isinstance(v, (int, float))
    )


def cmd_list(store: RunStore, opts: argparse.Namespace) -> int:
    records, problems = store.list()
    for problem in problems:
        warn(problem)
    if opts.experiment:
        records = [r for r in records if r.experiment == opts.experiment]
    if opts.status:
        records = [r for r in records if r.status.lower() == opts.status.lower()]
    if opts.limit is not None:
        records = records[: opts.limit]
    if opts.format == "json":
        print_json([summary_json(store, r) for r in records])
        return 0
    rows = [
        (
            r.id,
            r.experiment,
            r.status,
            r.estimator,
            r.created[:19].replace("T", " "),
            _scalar_metrics(store.current_metrics(r)),
        )
        for r in records
    ]
    print_table(
        f"runs in {store.root}",
        ("id", "experiment", "status", "estimator", "created", "metrics"),
        rows,
    )
    return 0


def cmd_show(store: RunStore, opts: argparse.Namespace) -> int:
    record = store.get(opts.run_id)
    data = detail_json(store, record)
    if opts.format == "json":
        print_json(data)
        return 0
    from omegaconf import OmegaConf

    print(f"run {record.id}  [{record.status}]  experiment={record.experiment}")
    print(
        f"estimator: {record.estimator}   compute: {record.compute}   world size: {record.world_size}"
    )
    print(f"created {record.created}   started {record.started}   ended {record.ended}")
    if record.error:
        print(f"error: {record.error}")
    if record.overrides:
        print(f"overrides: {' '.join(record.overrides)}")
    if record.tags:
        print("tags: " + ", ".join(f"{k}={v}" for k, v in record.tags.items()))
    print(f"metrics: {_scalar_metrics(data['metrics']) or '(none)'}")
    print("params:")
    print("  " + OmegaConf.to_yaml(OmegaConf.create(record.params)).rstrip().replace("\n", "\n  "))
    print("files:")
    for name in data["files"]:
        print(f"  {name}")
    git = record.provenance.get("git")
    print(
        f"provenance: python {record.provenance.get('python')} on {record.provenance.get('host')}"
        + (f", git {git['commit'][:10]}{' (dirty)' if git['dirty'] else ''}" if git else "")
    )
    print(f"folder: {record.path}")
    return 0


ACTIONS = {"list": cmd_list, "show": cmd_show}


def main(args: list[str]) -> int:
    opts = build_parser().parse_args(args)
    return ACTIONS[opts.action](RunStore(), opts)
