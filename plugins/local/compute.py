"""The ``local`` compute: one worker process with its own process group."""

from __future__ import annotations

from pathlib import Path

from harness.contract.components import Compute, JobResult
from harness.contract.compute_kit import (
    STOP_NOTE,
    job_environment,
    no_space_reason,
    run_supervised,
    take_early_worker,
    worker_command,
)
from harness.contract.jobspec import JobSpec
from harness.errors import ConfigError


class LocalCompute(Compute):
    takes_early_worker = True

    def validate(self, config) -> None:
        timeout = config.compute.get("timeout")
        if timeout is not None and (not isinstance(timeout, (int, float)) or timeout <= 0):
            raise ConfigError(
                f"compute.timeout must be a positive number of seconds, got {timeout!r}"
            )

    def launch(self, job: JobSpec) -> JobResult:
        timeout = job.params["compute"].get("timeout")
        env = job_environment()
        outcome = run_supervised(
            worker_command(job),
            cwd=job.workdir,
            env=env,
            stdout_path=job.logs_dir / "stdout.txt",
            stderr_path=job.logs_dir / "stderr.txt",
            timeout=timeout,
            stop_note=Path(job.run_dir) / STOP_NOTE,
            started=take_early_worker(job, env),  # None: a fresh process, as ever
        )
        error = f"timed out after {timeout} s (compute.timeout)" if outcome.timed_out else None
        if outcome.canceled:
            error = "canceled"
        elif error is None and outcome.exit_code != 0:
            # a job that filled the disk could not log why: read it from memory
            error = no_space_reason(outcome.stderr_tail, outcome.no_space or job.run_dir)
            if error is None and outcome.no_space:
                error = f"no space left on device ({outcome.no_space})"
        code = outcome.exit_code if not outcome.timed_out else 124
        return JobResult(exit_code=code, canceled=outcome.canceled, error=error)
