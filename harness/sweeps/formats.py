"""The formats of a sweep's small files (``sweep.json``'s own is in store.py):

```
runs/<run id>.json   SweepLink: a run of the sweep, written by its job
unstarted/<n>.json   UnstartedJob: a job that never got a run, written by that job
summary.json         SweepSummary: the final table, written when the sweep ends
```

Each is read through ``harness.records`` (a ``format_version``, one migration per
version, every field checked), so a damaged one is a ``ValueError`` naming the
field, which the store turns into a ``Damaged`` row: never a crash of a listing,
never a row silently missing. Files written before versions are version 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness import records
from harness.ids import is_run_id
from harness.records import RunStatus

#: A row of a sweep's table whose own file (or run record) could not be read.
DAMAGED = records.Damaged.STATUS


@dataclass
class SweepLink:
    """A run of the sweep: which one, the metric it is ranked by, the job it ran."""

    run_id: str
    metric: str | None = None
    goal: str | None = None
    overrides: list[str] = field(default_factory=list)
    #: The Hydra job number (``sweeps resume`` matches runs to jobs by it).
    job: int | None = None


@dataclass
class UnstartedJob:
    """A job that never got a run: refused config, skipped after a stop, Ctrl-C."""

    job: int
    status: RunStatus = RunStatus.FAILED
    overrides: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class SummaryRow:
    """One job of the summary table (``harness sweeps show --format json``'s ``runs``).
    Every field but ``damaged`` is always written, and required: the printers and
    the dashboard read them all."""

    run_id: str | None
    overrides: list[str]
    status: str  # a run's status, or "Damaged"
    value: float | None
    error: str | None
    early_terminated: bool
    created: str | None
    duration_s: float | None
    best: bool
    damaged: bool = False  # only on a damaged row


@dataclass
class SweepSummary:
    """summary.json: ``harness sweeps show --format json`` of a finished sweep. Every
    field is always written, and required (version 0 lacked ``applied`` in its first
    days: the migration fills it in)."""

    sweep_id: str
    status: RunStatus
    created: str
    ended: str | None
    sweeper: str
    launcher: str
    applied: dict[str, Any]
    metric: str | None
    goal: str
    counts: dict[str, int]
    early_terminated_saved_s: float
    best: SummaryRow | None
    fixed_overrides: list[str]
    runs: list[SummaryRow]
    exit_code: int | None


#: The counts every reader of a summary prints.
COUNTS = ("total", "completed", "failed", "canceled", "early_terminated", "not_started")
_ROW_STATUSES = frozenset({*(s.value for s in RunStatus), DAMAGED})


def _link_values(data: dict[str, Any]) -> None:
    if not is_run_id(data["run_id"]):
        raise ValueError(f"field 'run_id' {data['run_id'][:40]!r} is not a run id")
    if data.get("job") is not None and data["job"] < 0:
        raise ValueError("field 'job' is below 0")


def _unstarted_values(data: dict[str, Any]) -> None:
    if data["job"] < 0:
        raise ValueError("field 'job' is below 0")
    if data.get("status", RunStatus.FAILED) not in (RunStatus.FAILED, RunStatus.CANCELED):
        raise ValueError("field 'status' is not Failed or Canceled (a job that never ran)")


def _summary_values(data: dict[str, Any]) -> None:
    records.timestamp(data, "created", "ended")
    counts = data.get("counts", {})
    missing = [name for name in COUNTS if name not in counts]
    if missing:
        raise ValueError(f"field 'counts' has no {', '.join(missing)}")
    if any(value < 0 for value in counts.values()):
        raise ValueError("field 'counts' holds a negative count")
    rows = [*data.get("runs", []), *([data["best"]] if data.get("best") else [])]
    for row in rows:
        if row["status"] not in _ROW_STATUSES:
            raise ValueError(f"a row's status {row['status'][:40]!r} is not a run status")
        records.timestamp(row, "created")


def _summary_from_0(data: dict[str, Any]) -> dict[str, Any]:
    """Version 0 had no count of damaged rows (there were none: they were skipped),
    and at first no ``applied`` settings."""
    data = {"applied": {}, **data}
    counts = data.get("counts")
    if isinstance(counts, dict):
        data["counts"] = {**counts, "damaged": counts.get("damaged", 0)}
    return data


#: Format 1 added the version (and, to the summary, the count of damaged rows).
LINK_FORMAT = records.Format("sweep link", SweepLink, version=1, values=_link_values)
UNSTARTED_FORMAT = records.Format("sweep job", UnstartedJob, version=1, values=_unstarted_values)
SUMMARY_FORMAT = records.Format(
    "sweep summary",
    SweepSummary,
    version=1,
    migrations={0: _summary_from_0},
    values=_summary_values,
)
