"""``harness sweeps``: sweeps in the workspace and their results."""

from __future__ import annotations

import argparse

from harness.cli.output import print_json, print_sweep_summary, print_table
from harness.errors import NotFoundError

# The JSON objects are the Python API's: one code path for the CLI, the SDK and the
# dashboard.
from harness.sdk.sweep_listing import list_sweeps, sweep_summary
from harness.sweeps.store import SweepStore


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness sweeps",
        description="Hyperparameter sweeps (harness train -m) and their results.",
    )
    sub = parser.add_subparsers(dest="action", required=True)
    listing = sub.add_parser("list", help="sweeps, newest first")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    show = sub.add_parser("show", help="one sweep: every run, sorted, best marked")
    show.add_argument("sweep_id", help="a sweep id, or a prefix naming one sweep")
    show.add_argument("--format", choices=("table", "json"), default="table")
    best = sub.add_parser("best", help="the best run of a sweep by its primary metric")
    best.add_argument("sweep_id", help="a sweep id, or a prefix naming one sweep")
    best.add_argument("--format", choices=("table", "json"), default="table")
    resume = sub.add_parser(
        "resume",
        help="continue a sweep after a crash or Ctrl-C: finished runs are kept, not repeated",
    )
    resume.add_argument("sweep_id", help="a sweep id, or a prefix naming one sweep")
    return parser


def cmd_list(store: SweepStore, opts: argparse.Namespace) -> int:
    items = list_sweeps(store.root.parent)  # a damaged sweep: an item, and one warning line
    if opts.format == "json":
        print_json(items)
        return 0
    from harness.cli.output import format_value

    rows = [
        (
            i["id"],
            i["status"],
            i["created"][:19].replace("T", " "),
            f"{i['sweeper']}/{i['launcher']}",
            _runs(i["counts"]),
            f"{i['metric']}={format_value(i['best_value'])}" if i["best_run_id"] else "-",
        )
        if not i.get("damaged")
        else (i["id"], i["status"], "-", "-", "-", "see the warning above")
        for i in items
    ]
    print_table(
        f"sweeps in {store.root}",
        ("id", "status", "created", "sweeper/launcher", "runs", "best"),
        rows,
    )
    return 0


def _runs(counts: dict[str, int]) -> str:
    damaged = counts.get("damaged", 0)
    return f"{counts['total']}" + (f" ({damaged} damaged)" if damaged else "")


def cmd_show(store: SweepStore, opts: argparse.Namespace) -> int:
    result = sweep_summary(store.root.parent, opts.sweep_id)
    if opts.format == "json":
        print_json(result)
    else:
        print_sweep_summary(result)
    return 0


def cmd_best(store: SweepStore, opts: argparse.Namespace) -> int:
    result = sweep_summary(store.root.parent, opts.sweep_id)
    best = result["best"]
    if best is None:
        raise NotFoundError(
            f"sweep {result['sweep_id']} has no completed run with a value of {result['metric']}"
        )
    data = {
        "sweep_id": result["sweep_id"],
        "metric": result["metric"],
        "goal": result["goal"],
        **best,
    }
    if opts.format == "json":
        print_json(data)
        return 0
    from harness.cli.output import format_value

    print(f"best run: {best['run_id']}")
    print(f"{result['metric']} ({result['goal']}): {format_value(best['value'])}")
    print(f"overrides: {' '.join(best['overrides'])}")
    print(f"details: harness runs show {best['run_id']}")
    return 0


def cmd_resume(store: SweepStore, opts: argparse.Namespace) -> int:
    """Run the sweep's recorded command again, joined to the same record."""
    import os

    from harness.commands import train
    from harness.sweeps.resume import resume_command

    command = resume_command(store.resolve_id(opts.sweep_id))
    if command.cwd is not None:
        os.chdir(command.cwd)
    os.environ.update(command.env)
    return train.main(command.args)


ACTIONS = {"list": cmd_list, "show": cmd_show, "best": cmd_best, "resume": cmd_resume}


def main(args: list[str]) -> int:
    opts = build_parser().parse_args(args)
    return ACTIONS[opts.action](SweepStore(), opts)
