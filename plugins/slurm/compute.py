"""The ``slurm`` compute: the job as a Slurm batch job, submitted with submitit and
followed by the driver until it ends.

- ``validate`` (driver, before a run exists) checks the config and asks Slurm with
  ``sbatch --test-only`` whether it would take the job: an unknown partition or
  more GPUs than a node has is one line with Slurm's reason, exit 2.
- ``launch`` submits (submitit writes the sbatch script and pickles the task),
  prints the job id and state changes, shows rank 0's log live, and waits. Ctrl-C
  (or a sweep policy's stop) → ``scancel``; the run ends ``Canceled``. A job the
  scheduler ended (time limit, preemption, node failure) ends ``Failed`` or
  ``Canceled`` with that reason: no run is left ``Running``. Jobs go in with
  ``--no-requeue``, so Slurm ends a preempted job instead of starting its script
  again from the beginning in the same run folder.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from harness.contract.components import Compute, JobResult
from harness.contract.compute_kit import (
    FileFollower,
    check_interrupted,
    exception_line,
    handle_interrupts,
    rank_log,
    stop_requested,
    wants_communicator,
)
from harness.contract.jobspec import JobSpec
from harness.contract.records import update_run_extra
from harness.plugins.slurm import scheduler
from harness.plugins.slurm.settings import SlurmSettings, no_requeue, settings_from
from harness.plugins.slurm.task import EXIT_MARK, NODE_MARK, run_rank

#: Seconds to wait for Slurm to end a cancelled job before giving up on it.
CANCEL_WAIT_S = 60.0
EXIT_CANCELED = 130


def make_executor(folder: Path, settings: SlurmSettings, job_name: str) -> Any:
    """A submitit ``SlurmExecutor`` for these settings.

    submitit always writes ``--time`` (5 minutes unless told); without
    ``compute.time`` the partition's own default should apply, as with a plain
    sbatch, so that line is left out.
    """
    import submitit

    class HarnessSlurmExecutor(submitit.SlurmExecutor):
        def _make_submission_file_text(self, command: str, uid: str) -> str:
            text = super()._make_submission_file_text(command, uid)
            if settings.time is None:
                text = "\n".join(
                    ln for ln in text.splitlines() if not ln.startswith("#SBATCH --time=")
                )
            return text

    executor = HarnessSlurmExecutor(folder=folder, max_num_timeout=0)
    params = settings.submitit_parameters(job_name)
    # A preempted job must end (and its run with it), not start over: see no_requeue.
    params["additional_parameters"] = no_requeue(params["additional_parameters"])
    executor.update_parameters(**params)
    return executor


class SlurmCompute(Compute):
    def __init__(self) -> None:
        self.settings: SlurmSettings | None = None

    def validate(self, config: Any) -> None:
        scheduler.require_slurm()
        self.settings = settings_from(config.compute)
        import tempfile

        with tempfile.TemporaryDirectory(prefix="harness-slurm-") as tmp:
            executor = make_executor(Path(tmp), self.settings, "harness-check")
            script = executor._make_submission_file_text("true", "check")
        scheduler.test_submission(script)

    def launch(self, job: JobSpec) -> JobResult:
        settings = self.settings or settings_from(job.params["compute"])
        size = settings.world_size
        folder = job.logs_dir / "slurm"
        folder.mkdir(parents=True, exist_ok=True)
        executor = make_executor(folder, settings, f"harness-{job.run_id}")
        try:
            submitted = executor.submit(run_rank, str(job.spec_path))
        except Exception as exc:  # submitit's FailedJobError carries sbatch's stderr
            raise scheduler.SchedulerRejected(
                f"Slurm rejected the job: {scheduler.rejection_reason(str(exc))}"
            ) from None
        job_id = str(submitted.job_id)
        _record_job_id(job, job_id)
        print(f"slurm job: {job_id} (squeue -j {job_id}; logs in {folder})", flush=True)
        follower = FileFollower(rank_log(job.logs_dir, 0), sys.stdout.buffer)
        follower.start()
        canceled_by = None
        try:
            with handle_interrupts():  # `harness runs cancel` cancels the job too
                state = self._follow(job_id, settings, job.logs_dir / EXIT_MARK)
            if state is None:  # a sweep policy or deadline asked to stop
                canceled_by = "stop"
                state = _cancel_and_wait(job_id)
        except KeyboardInterrupt:
            canceled_by = "user"
            print(f"cancelling slurm job {job_id} (scancel)...", file=sys.stderr, flush=True)
            try:
                state = _cancel_and_wait(job_id)
            except KeyboardInterrupt:  # a second Ctrl-C: kill it, don't wait
                scheduler.cancel(job_id, signal="KILL")
                state = None
        finally:
            follower.stop()
        return _result(job, job_id, state, size, canceled_by, folder)

    def worker_start(self, run: Any) -> None:
        """A multi-rank job's ranks get ``run.comm`` as under ``compute=mpi`` (srun
        started them with PMIx); a single rank needs no MPI."""
        if run.world_size > 1 and wants_communicator(run.spec):
            from mpi4py import MPI

            run.comm = MPI.COMM_WORLD

    def _follow(
        self, job_id: str, settings: SlurmSettings, exit_mark: Path
    ) -> scheduler.JobState | None:
        """Poll until the job is final; None when asked to stop (sweep watch).

        Slurm is asked every ``poll_interval``; in between, the single-rank job's
        exit mark (``task.EXIT_MARK``) is looked for every ``EXIT_CHECK_S``: a
        worker that returned 0 has finished the run, whatever Slurm's state says
        for the next second. Every other ending takes Slurm's word (its reasons)."""
        shown = ""
        unknown_since = time.monotonic()
        while True:
            check_interrupted()  # a Ctrl-C whose KeyboardInterrupt was swallowed
            if stop_requested():  # the sweep watch stops the job early
                return None
            if settings.world_size == 1 and _exited_cleanly(exit_mark):
                return scheduler.JobState("COMPLETED", exit_code=0)
            state = scheduler.job_state(job_id)
            if state is None:
                # Just submitted and not visible yet, or forgotten by the controller
                # with no accounting to ask: give up after a while, never hang.
                if time.monotonic() - unknown_since > 120:
                    return scheduler.JobState("UNKNOWN", reason="Slurm no longer knows the job")
            else:
                unknown_since = time.monotonic()
                label = state.state + (
                    f" ({state.reason})" if state.reason and state.reason != "None" else ""
                )
                if state.state == "RUNNING" and state.nodes:
                    label = f"RUNNING on {state.nodes}"
                if label != shown:
                    print(f"slurm job {job_id}: {label}", file=sys.stderr, flush=True)
                    shown = label
                if state.final:
                    return state
            _wait_for_mark(exit_mark if settings.world_size == 1 else None, settings.poll_interval)


#: Seconds between two looks for the exit mark (a stat on the shared file system).
EXIT_CHECK_S = 0.05


def _exited_cleanly(mark: Path) -> bool:
    try:
        return int(json.loads(mark.read_text()).get("exit_code", 1)) == 0
    except (OSError, ValueError, TypeError, AttributeError):
        return False


def _wait_for_mark(mark: Path | None, seconds: float) -> None:
    """Sleep ``seconds``, waking early once ``mark`` exists (or a stop is asked)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if (mark is not None and _exited_cleanly(mark)) or stop_requested():
            return
        time.sleep(min(EXIT_CHECK_S, max(0.0, deadline - time.monotonic())))


def _cancel_and_wait(job_id: str) -> scheduler.JobState | None:
    scheduler.cancel(job_id)
    deadline = time.monotonic() + CANCEL_WAIT_S
    while time.monotonic() < deadline:
        state = scheduler.job_state(job_id)
        if state is not None and state.final:
            return state
        time.sleep(0.5)
    return scheduler.job_state(job_id)


def _record_job_id(job: JobSpec, job_id: str) -> None:
    update_run_extra(job.run_id, {"slurm_job_id": job_id}, Path(job.run_dir).parent.parent)


def _result(
    job: JobSpec,
    job_id: str,
    state: scheduler.JobState | None,
    size: int,
    canceled_by: str | None,
    folder: Path,
) -> JobResult:
    name = state.state if state is not None else "UNKNOWN"
    if canceled_by is not None:
        why = "canceled" if canceled_by == "user" else "stopped"
        return JobResult(
            exit_code=EXIT_CANCELED,
            canceled=True,
            error=f"{why}; slurm job {job_id} cancelled (scancel)",
            world_size=size,
        )
    if name == "COMPLETED":
        return JobResult(exit_code=0, world_size=size)
    code = state.exit_code if state is not None and state.exit_code else 1
    if state is not None and name in ("CANCELLED", "PREEMPTED"):
        return JobResult(
            exit_code=EXIT_CANCELED, canceled=True, error=state.describe(job_id), world_size=size
        )
    if state is not None and name in scheduler.SCHEDULER_ENDED:
        return JobResult(exit_code=code, error=state.describe(job_id), world_size=size)
    if not (job.logs_dir / NODE_MARK).is_file():
        return JobResult(exit_code=code, error=_no_workspace(job, job_id, folder), world_size=size)
    for rank in range(size):
        path = rank_log(job.logs_dir, rank)
        line = exception_line(path.read_text(errors="replace")) if path.is_file() else None
        if line and not line.startswith("KeyboardInterrupt"):
            return JobResult(
                exit_code=code,
                error=f"rank {rank} failed: {line}; traceback in logs/rank_{rank}.txt"[:500],
                world_size=size,
            )
    last = _last_line(folder)
    said = state.describe(job_id) if state is not None else f"slurm job {job_id}: state unknown"
    return JobResult(exit_code=code, error=said + (f": {last}" if last else ""), world_size=size)


def _no_workspace(job: JobSpec, job_id: str, folder: Path) -> str:
    home = Path(job.run_dir).parent.parent
    said = _last_line(folder)
    if said and "does not see the workspace" in said:
        return said.removeprefix("harness: ")
    return (
        f"slurm job {job_id} never reached the workspace {home}: the node must see "
        "HARNESS_HOME at the same path (a shared file system; see docs/cluster.md)"
        + (f"; the job said: {said}" if said else "")
    )


def _last_line(folder: Path) -> str:
    lines: list[str] = []
    for path in sorted(folder.glob("*_log.out")) + sorted(folder.glob("*_log.err")):
        lines += [
            ln.strip()
            for ln in path.read_text(errors="replace").splitlines()
            if ln.strip() and "submitit INFO" not in ln
        ]
    return lines[-1][:300] if lines else ""
