"""The ``local`` compute: one worker process with its own process group."""

from __future__ import annotations

import sys

from harness.contract.components import Compute, JobResult
from harness.contract.jobspec import JobSpec
from harness.errors import ConfigError
from harness.job.supervise import job_environment, run_supervised


class LocalCompute(Compute):
    def validate(self, config) -> None:
        timeout = config.compute.get("timeout")
        if timeout is not None and (not isinstance(timeout, (int, float)) or timeout <= 0):
            raise ConfigError(
                f"compute.timeout must be a positive number of seconds, got {timeout!r}"
            )

    def launch(self, job: JobSpec) -> JobResult:
        timeout = job.params["compute"].get("timeout")
        outcome = run_supervised(
            [sys.executable, "-m", "harness.worker", str(job.spec_path)],
            cwd=job.workdir,
            env=job_environment(),
            stdout_path=job.logs_dir / "stdout.txt",
            stderr_path=job.logs_dir / "stderr.txt",
            timeout=timeout,
        )
        error = f"timed out after {timeout} s (compute.timeout)" if outcome.timed_out else None
        if outcome.canceled:
            error = "canceled"
        code = outcome.exit_code if not outcome.timed_out else 124
        return JobResult(exit_code=code, canceled=outcome.canceled, error=error)
