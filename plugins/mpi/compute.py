"""The ``mpi`` compute: the job's ranks under ``mpiexec``, supervised like ``local``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from harness.contract.components import Compute, JobResult
from harness.contract.compute_kit import (
    STOP_NOTE,
    FileFollower,
    job_environment,
    rank_log,
    run_supervised,
    wants_communicator,
)
from harness.contract.jobspec import JobSpec
from harness.plugins.mpi import launcher
from harness.plugins.mpi.diagnose import failure_message, transient_startup_failure

EXIT_TIMED_OUT = 124


class MpiCompute(Compute):
    def __init__(self) -> None:
        self.settings: launcher.MpiSettings | None = None
        self.kind = launcher.UNKNOWN

    def validate(self, config: Any) -> None:
        """Checked in the driver, before the run exists: bad values and a missing
        mpiexec are exit 2 with nothing written."""
        self.settings = launcher.settings_from(config.compute)
        assert self.settings.mpiexec is not None
        self.kind = launcher.flavor(self.settings.mpiexec)

    def launch(self, job: JobSpec) -> JobResult:
        settings = self.settings or launcher.settings_from(job.params["compute"])
        if self.settings is None:
            self.kind = launcher.flavor(str(settings.mpiexec))
        size = settings.world_size
        if size > 1 and not job.trait("data_parallel", True):
            _warn_single_process(job.estimator, size)
        cmd = launcher.mpiexec_command(
            settings, self.kind, str(job.spec_path), python=job.worker_python
        )
        env = job_environment(launcher.launcher_environment(self.kind, settings))
        job.logs_dir.mkdir(parents=True, exist_ok=True)
        follower = FileFollower(rank_log(job.logs_dir, 0), sys.stdout.buffer)
        follower.start()
        try:
            for attempt in (1, 2):
                outcome = run_supervised(
                    cmd,
                    cwd=job.workdir,
                    env=env,
                    stdout_path=job.logs_dir / "mpiexec.txt",
                    stderr_path=None,
                    timeout=settings.timeout,
                    stop_note=Path(job.run_dir) / STOP_NOTE,
                )
                if attempt == 2 or outcome.exit_code == 0 or outcome.canceled:
                    break
                if outcome.timed_out or not _start_again(job.logs_dir, size):
                    break
        finally:
            follower.stop()
        if outcome.canceled:
            return JobResult(exit_code=130, canceled=True, error="canceled", world_size=size)
        if outcome.timed_out:
            return JobResult(
                exit_code=EXIT_TIMED_OUT,
                error=f"timed out after {settings.timeout} s (compute.timeout); "
                f"all {size} ranks stopped",
                world_size=size,
            )
        error = None
        if outcome.exit_code != 0:
            error = failure_message(job.logs_dir, size, outcome.exit_code)
        return JobResult(
            exit_code=outcome.exit_code,
            error=error,
            world_size=size,
            error_log=str(rank_log(job.logs_dir, 0)),
        )

    def worker_start(self, run: Any) -> None:
        """Give every rank its communicator as ``run.comm``.

        MPI_Init waits for every rank, so only where all ranks will initialise it
        (``compute_kit.wants_communicator``)."""
        if wants_communicator(run.spec):
            from mpi4py import MPI

            run.comm = MPI.COMM_WORLD


def _start_again(logs_dir: Path, size: int) -> bool:
    """After a launcher failure that no rank saw (``transient_startup_failure``):
    keep mpiexec's words as logs/mpiexec.1.txt, say so, and start it once more.
    Nothing of the job ran, so a second start cannot repeat any of its work."""
    reason = transient_startup_failure(logs_dir, size)
    if reason is None:
        return False
    (logs_dir / "mpiexec.txt").replace(logs_dir / "mpiexec.1.txt")
    print(
        f"harness: warning: mpiexec failed before any rank started ({reason}); "
        "starting it once more (its first output: logs/mpiexec.1.txt)",
        file=sys.stderr,
    )
    return True


def _warn_single_process(estimator: str, world_size: int) -> None:
    print(
        f"harness: warning: estimator '{estimator}' has no data-parallel training, so "
        f"under compute=mpi it trains on rank 0 only and the other {world_size - 1} "
        "rank(s) idle. For parallel fits run a sweep instead: "
        "harness train -m estimator.C=0.1,1,10 hydra/launcher=joblib",
        file=sys.stderr,
    )
