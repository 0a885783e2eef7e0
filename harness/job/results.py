"""From what a compute returned to what the run record says: the final status,
its reason, and the plugin hooks around it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from harness.contract.components import JobResult
from harness.contract.jobspec import ACCEPTED_FILE, CONFIG_ERROR_FILE, JobSpec
from harness.contract.manager import HarnessPlugins
from harness.contract.supervise import describe_exit, no_space_reason
from harness.run import job_error
from harness.run.record import CANCELED, COMPLETED, FAILED

__all__ = [
    "EXIT_CODES",
    "checked_result",
    "config_accepted",
    "config_error",
    "final_status",
]

EXIT_CODES: dict[str, int] = {COMPLETED: 0, FAILED: 1, CANCELED: 130}


def final_status(result: JobResult, spec: JobSpec) -> tuple[str, str | None]:
    """(status, error) of a finished job. A cancel wins over the exit code: some
    libraries (sklearn's MLP) swallow the interrupt and return normally, but the
    user still stopped the run."""
    status = CANCELED if result.canceled else COMPLETED if result.exit_code == 0 else FAILED
    if status == COMPLETED:
        return status, None
    # The exception the job recorded (harness/run/job_error.py), else its stderr's end.
    error = result.error or job_error.read(spec.spec_path.parent)
    error = error or _last_error_line(spec, result)
    if error is None or (result.exit_code < 0 and not result.error):
        killed = describe_exit(result.exit_code)  # a signal leaves no traceback
        error = killed if error is None else f"{killed}; last output: {error}"
    return status, no_space_reason(error) or error  # ENOSPC anywhere reads the same


def checked_result(result: Any, manager: HarnessPlugins, compute: str) -> JobResult:
    """The compute's result, or a failed one naming the plugin that broke the contract
    (a wrong type used to crash the driver and leave the run ``Running``)."""
    problem = None
    if not isinstance(result, JobResult):
        problem = f"returned {type(result).__name__} {result!r:.80}, not a JobResult"
    elif not isinstance(result.exit_code, int) or isinstance(result.exit_code, bool):
        problem = f"returned a JobResult whose exit_code is {result.exit_code!r}, not an int"
    if problem is None:
        return result
    message = (
        f"compute '{compute}' of {manager.describe('compute', compute)} broke the plugin "
        f"contract: Compute.launch {problem}"
    )
    print(f"harness: error: {message}", file=sys.stderr)
    return JobResult(exit_code=EXIT_CODES[FAILED], error=message)


def config_error(spec: JobSpec) -> str | None:
    """The job's refusal of its config (``Estimator.validate_in_job``), if any."""
    path = spec.spec_path.parent / CONFIG_ERROR_FILE
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def config_accepted(spec: JobSpec) -> bool:
    """Whether the job's own check of its config passed."""
    return (spec.spec_path.parent / ACCEPTED_FILE).exists()


def _last_error_line(spec: JobSpec, result: JobResult) -> str | None:
    """The last non-blank line of the log the compute names (default: the job's
    stderr): usually the exception."""
    path = Path(result.error_log) if result.error_log else spec.logs_dir / "stderr.txt"
    if path.is_file():
        lines = [ln.strip() for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
        if lines:
            # The worker's own one-line errors (a plugin the job uses failed) carry
            # the prefix the terminal shows; the record keeps the message.
            return lines[-1].removeprefix("harness: error: ")[:500]
    return None
