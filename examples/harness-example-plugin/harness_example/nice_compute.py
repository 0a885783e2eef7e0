"""The ``nice`` compute: the local worker under ``nice -n NICENESS``.

The job runs in a child process on this machine, as with ``compute=local``, but at
a lower CPU priority so it does not crowd out interactive work. It reuses
``harness.contract.compute_kit`` for what every local compute needs: its own process group,
live output teed into ``logs/``, Ctrl-C and a timeout that stop the whole group.
"""

from __future__ import annotations

import shutil
import sys
from typing import Any

from harness.contract import Compute, ConfigError, JobResult
from harness.contract.compute_kit import job_environment, run_supervised, worker_command


class NiceCompute(Compute):
    def validate(self, config: Any) -> None:
        niceness = config.compute.niceness
        if isinstance(niceness, bool) or not isinstance(niceness, int) or not 0 <= niceness <= 19:
            raise ConfigError(f"compute.niceness must be an integer 0..19, got {niceness!r}")
        timeout = config.compute.get("timeout")
        if timeout is not None and (not isinstance(timeout, (int, float)) or timeout <= 0):
            raise ConfigError(
                f"compute.timeout must be a positive number of seconds, got {timeout!r}"
            )
        if shutil.which("nice") is None:
            raise ConfigError("compute=nice needs the `nice` command on PATH (coreutils)")

    def launch(self, job: Any) -> JobResult:
        options = job.params["compute"]
        worker = worker_command(job, python=sys.executable)
        outcome = run_supervised(
            ["nice", "-n", str(options["niceness"]), *worker],
            cwd=job.workdir,
            env=job_environment(),
            stdout_path=job.logs_dir / "stdout.txt",
            stderr_path=job.logs_dir / "stderr.txt",
            timeout=options.get("timeout"),
        )
        if outcome.timed_out:
            return JobResult(124, error=f"timed out after {options['timeout']} s (compute.timeout)")
        return JobResult(outcome.exit_code, canceled=outcome.canceled)
