"""The driver: one ``harness train`` job from composed config to final status.

A run moves through explicit steps on one object, ``RunLifecycle``, whose status
changes are the record's ``TRANSITIONS`` table:

    plan    checks and components (``harness.job.plan``); nothing is written
    open    the record (``Queued``), carrying this driver's pid, start and host
            from its first write, and ``job.json``
    slot    the observer's: a sweep links the run, and may hold it ``Queued``
            until one of its slots is free (``harness.sweeps.slots``), or end it
            ``Canceled`` unstarted; held until the run is settled
    start   the before-run hooks, then ``Running``
    launch  the run's environment, ``Estimator.prepare``, ``Compute.launch``
            (a bug in a plugin's code there: one line naming it, the run Failed,
            exit 1, the traceback in ``logs/plugin_error.txt``)
    settle  the final status from the job's result, the after-run hooks

From ``open`` on, Ctrl-C and SIGTERM are interrupts, and any exception or signal
before the job's result is in ends the run ``Failed`` (``Canceled`` for an
interrupt) with the reason: a live driver never leaves a run ``Queued`` or
``Running``, and a dead one is recognised by its identity (``run.liveness``).

The driver knows nothing of sweeps: a layer on top passes a ``RunObserver``
(``harness.sweeps.job.SweepObserver``) that names the sweep, picks the primary
metric and watches the job. The driver's caller hears of the run through
``harness.job.events``. Nothing reaches back up but the ``Outcome``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from omegaconf import DictConfig

from harness.contract import early_worker, interrupts
from harness.contract.components import ESTIMATOR_TRAITS, Estimator, JobResult
from harness.contract.jobspec import JobSpec
from harness.contract.manager import get_plugin_manager
from harness.envs import runtime as envs_runtime
from harness.envs.errors import EnvironmentBuildError
from harness.errors import ComponentFailure, ConfigError, PluginError
from harness.job import events, session
from harness.job.plan import JobPlan, plan, provenance
from harness.job.results import (
    EXIT_CODES,
    checked_result,
    config_accepted,
    config_error,
    final_status,
)
from harness.run import job_error, ownership
from harness.run.record import CANCELED, FAILED, QUEUED, RUNNING, TRANSITIONS, RunRecord
from harness.run.resources import TreeMonitor
from harness.run.store import RunStore, now_iso
from harness.storage.workspace import harness_home

__all__ = ["EXIT_CODES", "Outcome", "PlainRun", "RefusedInJob", "RunObserver", "run_job"]

#: Seconds between looks for the job's verdict on its config (only with a caller).
ACCEPT_POLL_S = 0.05


class RefusedInJob(ConfigError):
    """``Estimator.validate_in_job`` refused the config; the run was discarded.
    ``run_id`` lets a sweep forget the run it had already linked."""

    def __init__(self, message: str, run_id: str) -> None:
        super().__init__(message)
        self.run_id = run_id


@dataclass
class Outcome:
    record: RunRecord
    exit_code: int
    #: (name, goal, value) of the primary metric; value is None when not logged.
    primary: tuple[str, str, Any]


class Watch(Protocol):
    """What an observer's ``watch`` yields while the compute runs: why it stopped
    the job (through ``interrupts.stop_event()``), or None."""

    stop_reason: str | None


class RunObserver(Protocol):
    """What a layer above the driver adds to a run (the sweep layer's
    ``SweepObserver``): the sweep it belongs to, its primary metric, a slot the
    run waits for before it starts, and a watch around the launch that may stop
    the job early."""

    sweep_id: str | None

    def primary(self, cfg: DictConfig, estimator: Estimator) -> tuple[str, str]: ...

    def watch(self, record: RunRecord, metric: str, goal: str) -> AbstractContextManager[Watch]: ...

    def prompt_metrics(self, metric: str) -> list[str]:
        """Metrics the watch reads while the job runs, which the job writes at once."""
        ...

    def slot(self, record: RunRecord, metric: str, goal: str) -> AbstractContextManager[str | None]:
        """Held from the run's start until it is settled: the run may start when it
        yields None, and must not (it ends ``Canceled``) when it yields a reason."""
        ...

    def settled(self, record: RunRecord) -> None:
        """The run's final record, while its slot is still held."""
        ...

    def refused(self, record: RunRecord, message: str) -> None:
        """The job refused the run's config (``message``) and the run was discarded,
        while its slot is still held."""
        ...


class _NoWatch:
    stop_reason: str | None = None


class PlainRun:
    """The observer of a run outside any sweep: the estimator's primary metric, no watch."""

    sweep_id: str | None = None

    def primary(self, cfg: DictConfig, estimator: Estimator) -> tuple[str, str]:
        return estimator.primary(cfg)

    @contextlib.contextmanager
    def watch(self, record: RunRecord, metric: str, goal: str) -> Iterator[Watch]:
        yield _NoWatch()

    def prompt_metrics(self, metric: str) -> list[str]:
        return []

    @contextlib.contextmanager
    def slot(self, record: RunRecord, metric: str, goal: str) -> Iterator[str | None]:
        yield None

    def settled(self, record: RunRecord) -> None:
        pass

    def refused(self, record: RunRecord, message: str) -> None:
        pass


def run_job(
    cfg: DictConfig,
    overrides: list[str],
    argv: list[str] | None = None,
    *,
    observer: RunObserver | None = None,
) -> Outcome:
    """Run one job from its composed config to its final status.

    ``overrides`` are recorded as typed; ``argv`` is the command line for the
    provenance (default: the session's). A sweep passes its ``observer``."""
    interrupts.check()  # no new run after a Ctrl-C, even one Python swallowed
    current = session.ensure()
    lifecycle = RunLifecycle(
        cfg, list(overrides), current.argv if argv is None else argv, observer or PlainRun()
    )
    return lifecycle.run()


class RunLifecycle:
    """One run, step by step (see the module docstring); ``run`` does them all."""

    def __init__(
        self, cfg: DictConfig, overrides: list[str], argv: list[str], observer: RunObserver
    ) -> None:
        self.cfg, self.overrides, self.argv, self.observer = cfg, overrides, argv, observer
        self.manager = get_plugin_manager()
        self.store = RunStore()
        self.monitor = TreeMonitor()  # system figures of the job's processes
        self.status: str | None = None  # the record's status, as this driver last wrote it
        self.record: RunRecord | None = None
        self.spec: JobSpec | None = None
        self.watching: Watch | None = None
        self._marker: int | None = None

    # -- the steps -------------------------------------------------------------
    def run(self) -> Outcome:
        session.ensure().take_datastores()  # forget resolutions of an earlier job here
        job = plan(self.cfg, self.manager)
        with self.manager.calling("estimator", job.estimator_name, "Estimator.primary"):
            metric, goal = self.observer.primary(self.cfg, job.estimator)  # no run yet: exit 2
        # The observer's slot is held until the run is settled: a sweep that this
        # run's end stops (fail_fast, a cancel) is stopped before the next job starts.
        with contextlib.ExitStack() as slot:
            with interrupts.recorded():  # from the record on, SIGTERM is a cancel too
                try:
                    self.open(job, metric, goal)
                    assert self.record is not None
                    withheld = slot.enter_context(self.observer.slot(self.record, metric, goal))
                    if withheld is not None:
                        result = JobResult(
                            exit_code=EXIT_CODES[CANCELED], canceled=True, error=withheld
                        )
                    else:
                        result = self.start() or self.launch(job, metric, goal)
                except KeyboardInterrupt:
                    if self.record is None:
                        raise  # nothing was recorded: the caller's Ctrl-C
                    result = JobResult(
                        exit_code=EXIT_CODES[CANCELED],
                        canceled=True,
                        error="interrupted (Ctrl-C)",
                    )
                except BaseException as exc:
                    if self.record is not None:
                        self._fail(exc)
                    raise
                finally:
                    if self._marker is not None:
                        ownership.release(self._marker)
            with interrupts.deferred():  # a Ctrl-C now must not cut the final status short
                return self.settle(result, metric, goal)

    def open(self, job: JobPlan, metric: str, goal: str) -> None:
        """The record, with this driver's identity from its first write and the
        metric it is judged by (``extra.primary``: the dashboard's "better" uses its
        goal rather than guess from the name); job.json, with the metrics a sweep's
        policy reads while the job runs."""
        pid = os.getpid()
        source = Path(str(self.cfg.estimator.get("source_directory") or os.getcwd())).resolve()
        record = self.store.create(
            experiment=str(self.cfg.experiment),
            estimator=job.estimator_name,
            compute=job.compute_name,
            params=job.params,
            overrides=self.overrides,
            tags={str(k): str(v) for k, v in (self.cfg.get("tags") or {}).items()},
            provenance=provenance(
                job, self.manager, source, self.argv, session.ensure().take_datastores()
            ),
            sweep_id=self.observer.sweep_id,
            pid=pid,
            pid_start=ownership.start_ticks(pid),
            host=socket.gethostname(),
            extra={"primary": {"metric": metric, "goal": goal}},
        )
        self.record, self.status = record, QUEUED
        assert record.path is not None
        self._marker = ownership.claim(record.path)  # held open until the run ends
        events.emit("run_created", run_id=record.id, sweep_id=self.observer.sweep_id)
        print(f"run id: {record.id}", flush=True)
        self.spec = JobSpec(
            run_id=record.id,
            run_dir=str(record.path),
            experiment=record.experiment,
            estimator=job.estimator_name,
            compute=job.compute_name,
            params=job.params,
            loggers=job.loggers,
            workdir=str(record.path),
            sweep_id=self.observer.sweep_id,
            estimator_traits={t: bool(getattr(job.estimator, t)) for t in ESTIMATOR_TRAITS},
            prompt_metrics=self.observer.prompt_metrics(metric),
        )
        self.spec.save()

    def start(self) -> JobResult | None:
        """The before-run hooks, then Running; a failed result instead when a plugin
        that supplies one of the run's components failed in its hook (the manager
        disabled it): the run ends Failed with that plugin's line."""
        assert self.record is not None
        try:
            self.manager.before_run(self.record)
        except PluginError as exc:
            return JobResult(exit_code=EXIT_CODES[FAILED], error=str(exc))
        self._advance(RUNNING, started=now_iso())
        return None

    def launch(self, job: JobPlan, metric: str, goal: str) -> JobResult:
        """The job, from its environment to the compute's result."""
        assert self.record is not None and self.spec is not None
        with self.observer.watch(self.record, metric, goal) as self.watching:
            try:
                if job.environment is not None:
                    built = envs_runtime.prepare_run(job.environment, self.spec, harness_home())
                    details = built.provenance()  # what it holds (uv pip freeze)

                    def record_environment(record: RunRecord) -> None:
                        record.provenance["environment"] = details

                    self.store.update(self.record.id, record_environment)
                with self.manager.calling("estimator", job.estimator_name, "Estimator.prepare"):
                    job.estimator.prepare(self.cfg, self.spec)
                if not job.compute.takes_early_worker:
                    early_worker.dismiss()  # idle through someone else's launch otherwise
                assert self.record.path is not None
                with (
                    self.monitor.writing_to(self.record.path),
                    self._telling_acceptance(),
                    self.manager.calling("compute", job.compute_name, "Compute.launch"),
                ):
                    launched = job.compute.launch(self.spec)
                return checked_result(launched, self.manager, job.compute_name)
            except ComponentFailure as exc:  # a bug in a plugin's code: one line, exit 1
                job_error.keep_traceback(self.spec.logs_dir, str(exc), exc.cause)
                print(f"harness: error: {exc}", file=sys.stderr, flush=True)
                return JobResult(exit_code=EXIT_CODES[FAILED], error=str(exc))
            except EnvironmentBuildError as exc:  # the run needed it: Failed, exit 1
                print(f"harness: error: {exc}", file=sys.stderr, flush=True)
                return JobResult(exit_code=EXIT_CODES[FAILED], error=str(exc))
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                where = exc.filename or self.record.path
                return JobResult(exit_code=1, error=f"no space left on device ({where})")

    def settle(self, result: JobResult, metric: str, goal: str) -> Outcome:
        """The final status (or the discarded run of a refused config), the hooks,
        the ``finished`` event."""
        assert self.record is not None and self.spec is not None
        refused = config_error(self.spec)
        if refused is not None:
            # The job's own check (Estimator.validate_in_job) refused the config: a
            # user's mistake like any other, so no Failed run is left behind.
            self.store.delete(self.record.id, force=True)
            self.observer.refused(self.record, refused)
            raise RefusedInJob(refused, self.record.id)
        if result.canceled and self.watching is not None and self.watching.stop_reason:
            result.error = self.watching.stop_reason
        status, error = final_status(result, self.spec)
        record = self._advance(
            status, error=error, world_size=result.world_size, system=self.monitor.figures()
        )
        if status == FAILED:
            self.manager.on_run_error(record, error or "")
        self.manager.after_run(record, status)
        self.observer.settled(record)
        events.emit("finished", run_id=record.id, status=status, exit_code=EXIT_CODES[status])
        return Outcome(record, EXIT_CODES[status], (metric, goal, record.metrics.get(metric)))

    # -- the spine ---------------------------------------------------------------
    def _advance(self, status: str, **fields: Any) -> RunRecord:
        """Move the record to ``status``, which ``TRANSITIONS`` must allow."""
        assert self.record is not None and self.status is not None
        if status not in TRANSITIONS[self.status]:
            raise RuntimeError(f"run {self.record.id}: no step goes from {self.status} to {status}")
        self.record = self.store.set_status(self.record.id, status, **fields)
        self.status = status
        return self.record

    def _fail(self, exc: BaseException) -> None:
        """An exception between the record and the job's result: the run ends Failed
        with the reason (the exception still reaches the caller)."""
        assert self.record is not None
        with contextlib.suppress(Exception):  # e.g. a deleted run: the exception says more
            self._advance(FAILED, error=f"{type(exc).__name__}: {exc}")
            events.emit("finished", run_id=self.record.id, status=FAILED, exit_code=1)

    @contextlib.contextmanager
    def _telling_acceptance(self) -> Iterator[None]:
        """While the job runs, tell the caller once its config was accepted (only
        when a caller listens: ``harness.job.events``)."""
        if events.channel() is None:
            yield
            return
        assert self.spec is not None and self.record is not None
        done = threading.Event()
        spec, run_id = self.spec, self.record.id

        def look() -> None:
            # One last look once the job has ended: a job that accepted its config
            # and ended within one poll is told too, before its finished event.
            while True:
                ended = done.wait(ACCEPT_POLL_S)
                if config_accepted(spec):
                    events.emit("run_accepted", run_id=run_id)
                    return
                if ended:
                    return

        watcher = threading.Thread(target=look, name="harness-accepted", daemon=True)
        watcher.start()
        try:
            yield
        finally:
            done.set()
            watcher.join(timeout=5)
