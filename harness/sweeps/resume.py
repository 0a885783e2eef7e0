"""``harness sweeps resume SWEEP_ID``: continue a sweep after a crash or a Ctrl-C.

The sweep's own command runs again (``harness train -m …`` as recorded, from the
folder it ran in) with ``HARNESS_SWEEP_RESUME`` set, and joins the same sweep
record instead of creating one. What is *finished* is kept and not repeated:

- the basic (grid) sweeper walks the same jobs in the same order; a job whose
  linked run (same job number, same overrides) is finished returns that run's
  metric without running (``harness/sweeps/job.py``);
- the optuna sweeper keeps its study in the sweep's folder; finished trials stay,
  and trials whose jobs never reported are asked again (``hydra_plugins/
  harness_optuna_sweeper``), reusing a run that did finish.

Finished: ``Completed``, ``Failed`` by the job's own error, or early-terminated by
the policy. Repeated: canceled by the user or by a sweep limit, not started, or
left behind by a driver that died (``run.liveness`` marks those first).
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import ConfigError, NotFoundError
from harness.run import liveness, processes
from harness.run.processes import start_ticks
from harness.run.record import CANCELED, COMPLETED, FAILED, RunRecord
from harness.run.store import RunStore
from harness.sweeps.store import RUNNING, STOP_FILE, SUMMARY_FILE, SweepRecord, SweepStore

#: Set while a resumed sweep runs; its jobs (also in joblib or Ray workers) see it.
RESUME_ENV = "HARNESS_SWEEP_RESUME"


def active() -> bool:
    return bool(os.environ.get(RESUME_ENV))


def is_finished(record: RunRecord) -> bool:
    """Whether a run's outcome stands (kept on resume) or it must run again."""
    error = record.error or ""
    if record.status == COMPLETED:
        return True
    if record.status == FAILED:
        return not error.startswith(liveness.DRIVER_DIED)  # its driver died: run it again
    return record.status == CANCELED and error.startswith("early-terminated by ")


def kept_run(
    store: SweepStore, sweep_id: str, job_num: int, overrides: list[str]
) -> RunRecord | None:
    """The finished run of this job from an earlier attempt of the sweep, if any."""
    runs = RunStore()
    for link in store.links(sweep_id):
        if link.get("job") != job_num or list(link.get("overrides") or []) != list(overrides):
            continue
        try:
            record = liveness.reconcile(runs, runs.get(link["run_id"]))
        except (NotFoundError, OSError, ValueError, KeyError):
            continue
        if is_finished(record):
            return record
    return None


def reopen(store: SweepStore, sweep_id: str) -> SweepRecord:
    """Make the recorded sweep current again: clear its stop, forget its jobs that
    never started (they get their chance now), mark runs whose driver died."""
    record = store.get(sweep_id)
    folder = store.folder(record.id)
    (folder / STOP_FILE).unlink(missing_ok=True)
    # The last attempt's table: `sweeps show` builds the live one while it runs again.
    (folder / SUMMARY_FILE).unlink(missing_ok=True)
    for job in store.unstarted(record.id):
        if job.get("status") == CANCELED:
            (folder / "unstarted" / f"{job['job']}.json").unlink(missing_ok=True)
    runs = RunStore()
    for link in store.links(record.id):
        try:
            liveness.reconcile(runs, runs.get(link["run_id"]))
        except (NotFoundError, OSError, ValueError, KeyError):
            continue
    record.status, record.ended = RUNNING, None
    record.resumed += 1
    record.started_at = time.time()  # sweep.max_duration counts from the resume
    record.pid, record.host = os.getpid(), socket.gethostname()
    # the driver's identity is this process now: without its start time, any reader
    # would take the resumed sweep for one whose driver died (and mark it Failed)
    record.pid_start = start_ticks(record.pid)
    store.save(record)
    return record


def check_resumable(record: SweepRecord) -> None:
    here = record.host == socket.gethostname()
    if (
        record.status == RUNNING
        and record.pid
        and here
        and processes.alive(int(record.pid), ticks=record.pid_start)
    ):
        raise ConfigError(
            f"sweep {record.id} is still running (pid {record.pid}); "
            "stop it first (Ctrl-C), then resume"
        )
    if len(record.command) < 3 or record.command[:2] != ["harness", "train"]:
        raise ConfigError(f"sweep {record.id} has no `harness train -m` command to resume")


@dataclass(frozen=True)
class ResumeCommand:
    """How to run a sweep's command again, joined to its record: ``harness train
    ARGS`` from ``cwd`` (None: here) with ``env`` added to the environment."""

    args: list[str]
    cwd: str | None
    env: dict[str, str]


def resume_command(sweep_id: str) -> ResumeCommand:
    """The command that resumes ``sweep_id`` (``ConfigError`` if it cannot be
    resumed); the caller runs it (``harness sweeps resume`` does, in-process)."""
    record = SweepStore().get(sweep_id)
    check_resumable(record)
    cwd = record.cwd if record.cwd and Path(record.cwd).is_dir() else None
    return ResumeCommand(list(record.command[2:]), cwd, {RESUME_ENV: record.id})


def describe(record: RunRecord, metric: str | None) -> str:
    value: Any = record.metrics.get(metric or "")
    shown = f", {metric}={value:g}" if isinstance(value, (int, float)) else ""
    return f"{record.status}{shown}"
