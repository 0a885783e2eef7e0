"""One job of a multirun: what the task function does when Hydra sweeps.

Unlike a single run, a job never raises back into Hydra: Hydra's basic sweeper
re-raises the first failure only after its whole batch, and Optuna's stops the
study. A failed or rejected job is recorded and the sweep goes on (unless
``sweep.fail_fast``); the summary at the end lists every failure.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from harness.contract.components import Estimator
from harness.errors import HarnessError
from harness.run.record import CANCELED, COMPLETED, FAILED, RunRecord
from harness.sweeps import config as sweep_config
from harness.sweeps import resume, slots
from harness.sweeps.interrupt import USER_CANCEL
from harness.sweeps.store import SweepStore, current_sweep_id
from harness.sweeps.watch import is_watch_reason, watch_job

#: Set in the environment of sweep jobs that a cluster launcher started. A cancel
#: there came from the cluster (scancel, preemption, a time limit's SIGTERM), not
#: from a Ctrl-C on the sweep: the job must not stop the whole sweep. (The
#: launcher itself stops the sweep when its user presses Ctrl-C.)
REMOTE_ENV = "HARNESS_SWEEP_REMOTE_JOB"

if TYPE_CHECKING:
    from harness.job.driver import Outcome


class SweepObserver:
    """What the sweep layer adds to a run (``driver.RunObserver``): the sweep id,
    the sweep's primary metric, and the watch, which links the run with its job
    number and may stop it early."""

    def __init__(self, cfg: Any, sweep_id: str | None, job_num: int | None = None) -> None:
        self.cfg, self.sweep_id, self.job_num = cfg, sweep_id, job_num

    def primary(self, cfg: Any, estimator: Estimator) -> tuple[str, str]:
        return sweep_config.primary(cfg, estimator)

    def watch(self, record: RunRecord, metric: str, goal: str) -> AbstractContextManager[Any]:
        return watch_job(self.cfg, record, self.sweep_id, metric, goal, self.job_num)

    @contextlib.contextmanager
    def slot(self, record: RunRecord, metric: str, goal: str) -> Iterator[str | None]:
        """Link the run to its sweep, then wait for a slot of the launch
        (``harness.sweeps.slots``) where the launcher shares them: linked first, a
        run that waits (or that a stop never starts) is part of the sweep, and the
        link is off the slot's time."""
        store = SweepStore()
        sweep_id = self.sweep_id
        if sweep_id:
            # The job number lets `harness sweeps resume` match the run to the job again.
            store.link_run(
                sweep_id,
                record.id,
                metric=metric,
                goal=goal,
                overrides=list(record.overrides),
                job=self.job_num,
            )

        def skip() -> str | None:
            return skip_reason(self.cfg, store, sweep_id) if sweep_id else None

        with slots.held(skip, interrupted=USER_CANCEL) as withheld:
            yield withheld

    def settled(self, record: RunRecord) -> None:
        """Stop the sweep on a failed run (``sweep.fail_fast``) or a user's cancel
        of this run (the whole sweep stops, not just this job): before the run's slot
        goes to the next job, which then does not start."""
        if not self.sweep_id:
            return
        store = SweepStore()
        if record.status == FAILED and _fails_fast(self.cfg):
            store.request_stop(self.sweep_id, f"stopped by sweep.fail_fast: run {record.id} failed")
        elif _canceled_by_the_user(record):
            store.request_stop(self.sweep_id, USER_CANCEL)

    def refused(self, record: RunRecord, message: str) -> None:
        """The job refused its config: the job fails without a run, and with
        ``sweep.fail_fast`` the sweep stops before the slot goes to the next job."""
        if self.sweep_id and self.job_num is not None:
            store = SweepStore()
            store.unlink_run(self.sweep_id, record.id)
            _failed_without_run(
                self.cfg, store, self.sweep_id, self.job_num, list(record.overrides), message
            )

    def prompt_metrics(self, metric: str) -> list[str]:
        """The primary metric when a policy reads it while the job runs: its reports
        must reach the metrics file as they are made, not up to a second later."""
        if self.sweep_id and sweep_config.policy_options(self.cfg.get("sweep")) is not None:
            return [metric]
        return []


def run_sweep_job(
    cfg: Any,
    overrides: list[str],
    argv: list[str],
    job_num: int,
    report: Callable[[Outcome], None],
) -> Any:
    """Run one job of the sweep; return its primary metric to the sweeper (None
    for a run that did not complete, which Optuna records as a failed trial).
    ``report`` shows the finished run (the CLI prints it)."""

    from harness.contract import fork_server

    fork_server.enable()  # this process runs jobs one after another: keep them warm
    sweep_id = current_sweep_id()
    store = SweepStore()
    if sweep_id and not _runs_the_sweep() and not _follows_the_sweep(store, sweep_id):
        os._exit(130)  # a local launcher's worker whose sweep process is gone: no new run
    try:
        return _run_sweep_job(cfg, overrides, argv, job_num, report, sweep_id, store)
    finally:
        if not _runs_the_sweep() and _orphaned():
            # The sweep's process was killed (SIGKILL): the run this worker held is
            # recorded Canceled by now; the worker must not wait for tasks that
            # will never come (loky's workers, and then its resource tracker, stayed).
            os._exit(130)


#: The sweep's process, when this process is a local launcher's worker (joblib's
#: loky workers are its children); empty elsewhere (cluster launchers' tasks).
_parent: list[int] = []
_checked: list[bool] = []


def _follows_the_sweep(store: SweepStore, sweep_id: str) -> bool:
    """In a worker process whose parent is the sweep's process: ask for SIGTERM when
    it dies (once per process). False if it is gone already."""
    from harness.contract.supervise import follow_parent_out

    if not _checked:
        _checked.append(True)
        try:
            driver_pid = store.get(sweep_id).pid
        except HarnessError:
            driver_pid = None
        if driver_pid is None or driver_pid != os.getppid():
            return True  # not a child of the sweep's process (a cluster's task)
        _parent.append(driver_pid)
        return follow_parent_out()
    return not _orphaned()


def _orphaned() -> bool:
    return bool(_parent) and os.getppid() != _parent[0]


def _run_sweep_job(
    cfg: Any,
    overrides: list[str],
    argv: list[str],
    job_num: int,
    report: Callable[[Outcome], None],
    sweep_id: str | None,
    store: SweepStore,
) -> Any:
    from harness.job import driver

    if sweep_id:
        if not_started(cfg, job_num, [overrides], store):
            return None
        if resume.active():  # a finished run of this job from before is kept
            kept = resume.kept_run(store, sweep_id, job_num, overrides)
            if kept is not None:
                metric = (cfg.get("sweep") or {}).get("metric") or store.get(sweep_id).metric
                print(
                    f"job #{job_num} kept: run {kept.id} ({resume.describe(kept, metric)})",
                    flush=True,
                )
                return _kept_value(kept, store, sweep_id)
        if len(argv) <= 2:  # a joblib worker process: the command line lives in the record
            argv = store.get(sweep_id).command or argv
    try:
        outcome = driver.run_job(
            cfg, overrides, argv, observer=SweepObserver(cfg, sweep_id, job_num)
        )
    except KeyboardInterrupt:
        # Ctrl-C while the job was being set up, before it had a run (once it has
        # one, the driver records it Canceled and returns).
        if sweep_id:
            store.record_not_started(sweep_id, job_num, overrides, USER_CANCEL)
            store.request_stop(sweep_id, USER_CANCEL)
        if _runs_the_sweep():
            raise
        return None
    except HarnessError as exc:
        print(f"harness: error: job #{job_num} ({' '.join(overrides)}): {exc}", file=sys.stderr)
        # A config the job itself refused is recorded already (SweepObserver.refused).
        if sweep_id and not isinstance(exc, driver.RefusedInJob):
            _failed_without_run(cfg, store, sweep_id, job_num, overrides, str(exc))
        return None
    report(outcome)
    status = outcome.record.status
    if _canceled_by_the_user(outcome.record):
        # The sweep is stopped (SweepObserver.settled). Where the sweep's own process
        # runs the job (the basic launcher), that is a KeyboardInterrupt; in a worker
        # process (joblib) the stop request is enough: the launcher waits for the
        # other jobs to record their end, then stops (harness/sweeps/interrupt.py).
        if _runs_the_sweep():
            raise KeyboardInterrupt
        return None
    return outcome.primary[2] if status == COMPLETED else None


def _failed_without_run(
    cfg: Any, store: SweepStore, sweep_id: str, job_num: int, overrides: list[str], error: str
) -> None:
    """Record a job that failed without a run (its config refused), and stop the
    sweep where ``sweep.fail_fast`` says so."""
    store.record_unstarted(sweep_id, job_num, overrides=overrides, status=FAILED, error=error)
    if _fails_fast(cfg):
        store.request_stop(sweep_id, f"stopped by sweep.fail_fast: job #{job_num} failed")


def _fails_fast(cfg: Any) -> bool:
    return bool((cfg.get("sweep") or {}).get("fail_fast", False))


def _canceled_by_the_user(record: RunRecord) -> bool:
    """Ctrl-C, or `harness runs cancel`: not a stop the sweep itself gave."""
    return (
        record.status == CANCELED
        and not is_watch_reason(record.error)
        and not os.environ.get(REMOTE_ENV)
    )


def _runs_the_sweep() -> bool:
    """Whether this is the ``harness train -m`` process itself (it holds the sweep
    record), not a launcher's worker process."""
    from harness.sweeps import current

    return current.driven() is not None


def not_started(
    cfg: Any,
    first_job: int,
    job_overrides: Sequence[Sequence[str]],
    store: SweepStore | None = None,
) -> bool:
    """If the sweep was stopped (or is past its deadline), record the jobs from
    ``first_job`` on, whose overrides are ``job_overrides``, as not started, with
    one line for all of them, and say so. A launcher asks before it hands a job
    out, so a stopped sweep of many jobs ends at once; a job asks again before
    it makes its run."""
    sweep_id = current_sweep_id()
    if not sweep_id:
        return False
    store = store or SweepStore()
    reason = skip_reason(cfg, store, sweep_id)
    if not reason:
        return False
    last = first_job + len(job_overrides) - 1
    which = f"job #{first_job}" if last == first_job else f"jobs #{first_job}-#{last}"
    print(f"{which} not started: {reason}", flush=True)
    for num, overrides in enumerate(job_overrides, start=first_job):
        store.record_not_started(sweep_id, num, overrides, reason)
    return True


def empty_return(overrides: Sequence[str]) -> Any:
    """The ``JobReturn`` of a job that made no completed run (what the task function
    returns then): the sweeper reads its value, None."""
    from hydra.core.utils import JobReturn, JobStatus

    ret = JobReturn(overrides=list(overrides), status=JobStatus.COMPLETED)
    ret.return_value = None
    return ret


def skip_reason(cfg: Any, store: SweepStore, sweep_id: str) -> str | None:
    """Why a job of the sweep must not start now (stopped, past its deadline), or None."""
    return store.stop_reason(sweep_id) or _past_deadline(cfg, store, sweep_id)


def _past_deadline(cfg: Any, store: SweepStore, sweep_id: str) -> str | None:
    sweep = cfg.get("sweep")
    limit = sweep.get("max_duration") if sweep is not None else None
    if not limit:
        return None
    try:
        started = store.get(sweep_id).started_at
    except Exception:
        return None
    if time.time() > started + float(limit):
        return f"sweep.max_duration ({float(limit):g} s) reached"
    return None


def _kept_value(record: Any, store: SweepStore, sweep_id: str) -> Any:
    """What the sweeper gets for a kept run: its primary metric if it completed."""
    if record.status != COMPLETED:
        return None
    for link in store.links(sweep_id):
        if link.get("run_id") == record.id:
            return record.metrics.get(link.get("metric") or "")
    return None
