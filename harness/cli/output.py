"""Printing for the CLI: JSON for tools, rich tables for people (values formatted by
``harness.sdk.formatting``, which the notebook widget shares).

Everything a run's data puts in a table or a line goes through
``harness.safetext.clean`` (control characters escaped; JSON escapes them itself).
Table cells are rich ``Text``, never markup: a tag value ``[link=…]`` stays text.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from harness.safetext import clean, raw_stream
from harness.sdk.formatting import format_value

if TYPE_CHECKING:  # the driver pulls in OmegaConf and the plugins: not for `runs list`
    from harness.job.driver import Outcome


def print_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def console() -> Any:
    """A rich console on the real stdout (it writes its own colour codes; what it
    prints from a run is ``cell``-ed); piped output gets 200 columns instead of 80."""
    from rich.console import Console

    return Console(file=raw_stream(sys.stdout), width=None if sys.stdout.isatty() else 200)


def cell(value: Any) -> Any:
    """A table cell: plain text with control characters escaped, never rich markup."""
    from rich.text import Text

    return Text("" if value is None else clean(value))


def print_table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    from rich.table import Table

    table = Table(title=None if title is None else cell(title), show_lines=False)
    for index, column in enumerate(columns):
        # Ids and names must stay copyable: only the last column may wrap.
        table.add_column(cell(column), no_wrap=index < len(columns) - 1, overflow="fold")
    for row in rows:
        table.add_row(*(cell(value) for value in row))
    console().print(table)


def warn(message: str) -> None:
    print(f"harness: warning: {clean(message)}", file=sys.stderr)


# What ``harness train`` prints when a job ends.
def print_outcome(outcome: Outcome) -> None:
    from harness.records import RunStatus  # here: commands that print no run skip its import

    record = outcome.record
    scalars = {k: v for k, v in record.metrics.items() if isinstance(v, (int, float))}
    error = "" if record.status == RunStatus.COMPLETED else f" ({clean(record.error)})"
    print(f"status: {record.status}{error}")
    if scalars:
        print(
            "metrics: "
            + "  ".join(f"{clean(k)}={format_value(v)}" for k, v in sorted(scalars.items()))
        )
    if record.system:
        print(
            "system: "
            + "  ".join(f"{clean(k)}={format_value(v)}" for k, v in sorted(record.system.items()))
        )
    print(f"run folder: {record.path}")
    print(f"details: harness runs show {record.id}", flush=True)


# The summary table of a sweep (`harness sweeps show`, the end of `train -m`).
#: Rows the summary at the end of ``harness train -m`` shows at most (the best
#: first): a table of 1,000 runs took 1.3 s to draw and scrolled the counts and the
#: best run off the screen; ``harness sweeps show`` lists them all.
SWEEP_END_ROWS = 20


def print_sweep_summary(summary: dict[str, Any], most: int | None = None) -> None:
    """The sweep's table (at most ``most`` rows, the best first, then a line that
    says how many more ``harness sweeps show`` lists), its counts and its best run."""
    from rich.table import Table

    metric = clean(summary["metric"] or "metric")
    fixed = set(summary["fixed_overrides"])
    table = Table(title=cell(f"sweep {summary['sweep_id']}: {metric} ({summary['goal']})"))
    # Ids, statuses and values stay whole; overrides and notes wrap.
    table.add_column("", no_wrap=True)
    table.add_column("run", no_wrap=True, min_width=22)
    table.add_column("overrides", overflow="fold", ratio=2)
    table.add_column("status", no_wrap=True)
    table.add_column(cell(metric), no_wrap=True)
    table.add_column("note", overflow="fold", ratio=3)
    rows = summary["runs"]
    hidden = len(rows) - most if most is not None and len(rows) > most else 0
    for row in rows[: len(rows) - hidden]:
        shown = [o for o in row["overrides"] if o not in fixed]
        note = "best" if row["best"] else (row["error"] or "")
        table.add_row(
            "*" if row["best"] else "",
            cell(row["run_id"] or "-"),
            cell(" ".join(shown)),
            cell(row["status"]),
            cell("" if row["value"] is None else format_value(row["value"])),
            cell(note),
        )
    if hidden:
        table.caption = cell(
            f"… and {hidden} more run{'' if hidden == 1 else 's'}: "
            f"harness sweeps show {summary['sweep_id']} lists them all"
        )
    console().print(table)
    counts = summary["counts"]
    if fixed:
        print(f"same in every run: {clean(' '.join(sorted(fixed)))}")
    line = (
        f"{counts['total']} run{'' if counts['total'] == 1 else 's'}: {counts['completed']} completed, {counts['failed']} failed, "
        f"{counts['early_terminated']} early-terminated"
    )
    if counts["early_terminated"]:
        line += f" (saved ~{summary['early_terminated_saved_s']:.1f} s of training)"
    # Canceled otherwise: by the user, or by a sweep stop (fail_fast, max_duration).
    stopped = counts["canceled"] - counts["early_terminated"] - counts["not_started"]
    if stopped > 0:
        line += f", {stopped} canceled"
    if counts["not_started"]:
        line += f", {counts['not_started']} not started"
    if counts.get("damaged"):  # rows whose files could not be read (one warning line each)
        line += f", {counts['damaged']} damaged"
    print(line)
    best = summary["best"]
    if best:
        print(
            f"best: run {best['run_id']}  {metric}={format_value(best['value'])}  "
            f"{clean(' '.join(o for o in best['overrides'] if o not in fixed))}"
        )
    else:
        print("best: none (no run completed with a value of the primary metric)")
    print(f"details: harness sweeps show {summary['sweep_id']}", flush=True)
