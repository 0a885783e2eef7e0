"""``harness runs``: the run history in the workspace.

list/show/metrics live here; the other actions each have a small module
(``runs_files``: logs, download, tag, delete; ``runs_control``: cancel;
``runs_compare``: compare, plot).
"""

from __future__ import annotations

import argparse
from typing import Any

from harness.cli.output import print_json, print_table, warn
from harness.records import Damaged
from harness.run.record import RunRecord
from harness.run.store import RunStore
from harness.safetext import clean

# The JSON objects and the run listing are the Python API's (harness.sdk.run,
# harness.sdk.listing): one code path for both doors (and the dashboard).
from harness.sdk.listing import filter_runs, find_runs  # noqa: F401
from harness.sdk.run import Run, detail_json, duration_s, summary_json  # noqa: F401

#: Rows a table shows unless --limit says otherwise: rendering 10,000 rows with rich
#: takes seconds and nobody reads them; JSON (for tools) has no default limit.
TABLE_LIMIT = 100


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness runs", description="Run history in the workspace."
    )
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = sub.add_parser("list", help="runs, newest first (filters, sort by a metric)")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    listing.add_argument("--experiment", help="only runs of this experiment")
    listing.add_argument("--status", help="only runs with this status (e.g. Failed)")
    listing.add_argument("--estimator", help="only runs of this estimator")
    listing.add_argument(
        "--tag",
        action="append",
        default=[],
        metavar="KEY[=VALUE]",
        help="only runs with this tag (and value); repeatable",
    )
    listing.add_argument(
        "--filter",
        metavar="EXPR",
        help='MLflow\'s filter syntax, e.g. "metrics.accuracy > 0.9 and params.lr < 0.01"',
    )
    listing.add_argument("--sort", metavar="METRIC", help="sort by this metric's final value")
    listing.add_argument(
        "--asc", action="store_true", help="with --sort: smallest first (default largest)"
    )
    listing.add_argument(
        "--limit",
        type=int,
        default=None,
        help=f"at most this many runs (0: all; default: all for json, {TABLE_LIMIT} for the table)",
    )
    show = sub.add_parser("show", help="one run: params, metrics, tags, files, provenance")
    show.add_argument("run_id", help="a run id, or a prefix naming one run")
    show.add_argument("--format", choices=("table", "json"), default="table")
    hist = sub.add_parser("metrics", help="the full history of a run's metrics")
    hist.add_argument("run_id")
    hist.add_argument("name", nargs="?", help="only this metric")
    hist.add_argument("--format", choices=("table", "json"), default="table")

    from harness.commands import runs_compare, runs_control, runs_files, runs_rerun

    runs_files.add_parsers(sub)
    runs_control.add_parsers(sub)
    runs_compare.add_parsers(sub)
    runs_rerun.add_parsers(sub)
    return parser


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(int(minutes), 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02.0f}s"
    return f"{minutes}m{secs:04.1f}s" if minutes else f"{secs:.1f}s"


def scalar_metrics(values: dict[str, Any]) -> str:
    from harness.cli.output import format_value

    return "  ".join(
        f"{clean(k)}={format_value(v)}"
        for k, v in sorted(values.items())
        if isinstance(v, (int, float))
    )


def select(store: RunStore, opts: argparse.Namespace) -> tuple[list[RunRecord], list[Damaged]]:
    """The runs to list, and the damaged records met (each said in one line)."""
    records, problems = find_runs(
        store,
        experiment=opts.experiment,
        estimator=opts.estimator,
        tags=opts.tag,
        status=opts.status,
        sort=opts.sort,
        ascending=opts.asc,
        where=opts.filter,
    )
    for problem in problems:
        warn(str(problem))
    return records, problems


def cmd_list(store: RunStore, opts: argparse.Namespace) -> int:
    import json
    import sys

    records, damaged = select(store, opts)
    # A damaged record cannot match a filter: it gets its row in an unfiltered table.
    filtered = opts.experiment or opts.estimator or opts.tag or opts.status
    limit = opts.limit if opts.limit is not None else (0 if opts.format == "json" else TABLE_LIMIT)
    total = len(records)
    if limit > 0:
        records = records[:limit]
    if opts.format == "json":
        # One run per line with the C encoder: `json.dump(indent=2)` is pure Python
        # and took seconds on 10,000 runs; the JSON value is the same.
        items = [json.dumps(summary_json(store, r), default=str) for r in records]
        sys.stdout.write("[\n" + ",\n".join(items) + "\n]\n" if items else "[]\n")
        return 0
    rows: list[tuple[str, ...]] = [
        (
            r.id,
            r.experiment,
            str(r.status),
            r.estimator,
            r.created[:19].replace("T", " "),
            format_duration(duration_s(r)),
            scalar_metrics(store.current_metrics(r)),
        )
        for r in records
    ]
    if not filtered:
        rows += [(d.name, "-", d.STATUS, "-", "-", "-", "see the warning above") for d in damaged]
    print_table(
        f"runs in {store.root}",
        ("id", "experiment", "status", "estimator", "created", "duration", "metrics"),
        rows,
    )
    if opts.limit is None and total > len(records):
        print(f"showing {len(records)} of {total} runs; --limit 0 shows all", file=sys.stderr)
    return 0


def cmd_show(store: RunStore, opts: argparse.Namespace) -> int:
    handle = Run.get(opts.run_id)
    record = handle.record()
    data = handle.get_details()
    if opts.format == "json":
        print_json(data)
        return 0
    from omegaconf import OmegaConf

    # Every value from the record is clean()ed: one line each, no escape codes.
    print(f"run {record.id}  [{record.status}]  experiment={clean(record.experiment)}")
    print(
        f"estimator: {clean(record.estimator)}   compute: {clean(record.compute)}   "
        f"world size: {record.world_size}"
    )
    print(f"created {record.created}   started {record.started}   ended {record.ended}")
    print(f"duration: {format_duration(data['duration_s'])}")
    if record.error:
        print(f"error: {clean(record.error)}")
    if record.overrides:
        print(f"overrides: {clean(' '.join(record.overrides))}")
    if record.tags:
        print("tags: " + ", ".join(f"{clean(k)}={clean(v)}" for k, v in record.tags.items()))
    if record.extra:
        print("extra: " + ", ".join(f"{clean(k)}={clean(v)}" for k, v in record.extra.items()))
    print(f"metrics: {scalar_metrics(data['metrics']) or '(none)'}")
    print("params:")
    params = OmegaConf.to_yaml(OmegaConf.create(record.params)).rstrip()
    for line in params.splitlines():
        print(f"  {clean(line)}")
    print("files:")
    for name in data["files"]:
        print(f"  {clean(name)}")
    git = record.provenance.get("git")
    print(
        f"provenance: python {record.provenance.get('python')} on {record.provenance.get('host')}"
        + (f", git {git['commit'][:10]}{' (dirty)' if git['dirty'] else ''}" if git else "")
    )
    environment = record.provenance.get("environment")
    if environment:
        print(clean(environment_line(environment)))
        if environment.get("python_note"):
            print(f"  note: {clean(str(environment['python_note']))}")
        reused = set(environment.get("from_harness") or [])
        for line in environment.get("packages") or []:
            print(f"  {clean(line)}" + ("  (the harness's, reused)" if line in reused else ""))
    print(f"folder: {record.path}")
    return 0


def environment_line(environment: dict[str, Any]) -> str:
    """One line naming a run's environment (provenance["environment"])."""
    name = environment.get("name") or "(inline)"
    version = environment.get("version")
    label = f"{name}:{version}" if version is not None else name
    packages = environment.get("packages")
    count = f", {len(packages)} packages:" if packages is not None else ""
    return (
        f"environment: {label}  hash {environment.get('hash')}  "
        f"python {environment.get('python')}{count}"
    )


def cmd_metrics(store: RunStore, opts: argparse.Namespace) -> int:
    handle = Run.get(opts.run_id)
    record = handle.record()
    history = handle.get_metric_history(opts.name)
    if opts.format == "json":
        print_json(history if opts.name is None else history[opts.name])
        return 0
    rows = [
        (name, point["step"], point["value"])
        for name, points in history.items()
        for point in points
    ]
    print_table(f"metrics of {record.id}", ("metric", "step", "value"), rows)
    return 0


def main(args: list[str]) -> int:
    from harness.commands import runs_compare, runs_control, runs_files, runs_rerun

    actions = {
        "list": cmd_list,
        "show": cmd_show,
        "metrics": cmd_metrics,
        **runs_files.ACTIONS,
        **runs_control.ACTIONS,
        **runs_compare.ACTIONS,
        **runs_rerun.ACTIONS,
    }
    opts = build_parser().parse_args(args)
    return actions[opts.action](RunStore(), opts)
