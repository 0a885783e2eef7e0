"""The run records a plugin may read and annotate, and the metric lines it may write.

A plugin sees a run as a ``RunRecord`` (the hooks ``harness_before_run`` and
``harness_after_run`` receive one). It may read any run of the workspace
(``get_run``: a checkpoint to resume from), add tags (``set_run_tags``: where a
job runs) and keys of the record's ``extra`` (``update_run_extra``: a scheduler's
job id); statuses and the rest of the record are the driver's. ``append_events``
writes metric lines in the run's own format (``metrics/*.jsonl``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.run.metrics import MetricEvent, append_events
from harness.run.record import (
    CANCELED,
    COMPLETED,
    FAILED,
    FINAL_STATUSES,
    QUEUED,
    RUNNING,
    STATUSES,
    RunRecord,
    flatten,
)
from harness.run.store import RunStore

__all__ = [
    "CANCELED",
    "COMPLETED",
    "FAILED",
    "FINAL_STATUSES",
    "QUEUED",
    "RUNNING",
    "STATUSES",
    "MetricEvent",
    "RunRecord",
    "append_events",
    "flatten",
    "get_run",
    "set_run_tags",
    "update_run_extra",
]


def get_run(run_id: str, home: Path | None = None) -> RunRecord:
    """The record of run ``run_id`` (or a prefix naming one run) in the workspace
    ``home`` (default: the current one); ``NotFoundError`` if there is none."""
    return RunStore(home).get(run_id)


def set_run_tags(run_id: str, tags: dict[str, Any], home: Path | None = None) -> RunRecord:
    """Add (or replace) tags of a run; values are stored as strings."""
    return RunStore(home).set_tags(run_id, tags)


def update_run_extra(run_id: str, values: dict[str, Any], home: Path | None = None) -> RunRecord:
    """Add (or replace) keys of the run record's ``extra`` (plugin-defined facts,
    such as ``slurm_job_id``), under the run's lock."""
    return RunStore(home).update(run_id, lambda record: record.extra.update(values))
