"""What the harness asks Slurm itself: a job's state, a trial submission, a cancel.

Job states come from ``scontrol show job`` (the controller's memory, which keeps a
finished job for ``MinJobAge``, 300 s by default) and, once it has forgotten the
job, from ``sacct``. Not ``sacct`` first, as submitit does: a cluster without an
accounting database (``slurmdbd``) has no ``sacct`` answers at all, and a job
that the scheduler killed would then stay "unknown" forever.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from harness.errors import ConfigError, HarnessError

#: States after which the job will not run again.
FINAL = {
    "COMPLETED",
    "FAILED",
    "CANCELLED",
    "TIMEOUT",
    "PREEMPTED",
    "NODE_FAIL",
    "OUT_OF_MEMORY",
    "BOOT_FAIL",
    "DEADLINE",
    "REVOKED",
    "SPECIAL_EXIT",
}
#: Why the scheduler (not the job's own code) ended a job, in a user's words.
SCHEDULER_ENDED = {
    "TIMEOUT": "Slurm stopped the job at its time limit",
    "PREEMPTED": "Slurm preempted the job",
    "NODE_FAIL": "the job's node failed",
    "OUT_OF_MEMORY": "the job ran out of memory (Slurm's limit)",
    "BOOT_FAIL": "the job's node failed to boot",
    "DEADLINE": "the job reached its deadline",
    "CANCELLED": "the job was cancelled on the cluster (scancel)",
}


class SchedulerRejected(HarnessError):
    """Slurm refused the job (unknown partition, more GPUs than a node has...)."""


@dataclass
class JobState:
    state: str
    reason: str = ""
    exit_code: int | None = None
    signal: int | None = None
    nodes: str = ""

    @property
    def final(self) -> bool:
        return self.state in FINAL

    def describe(self, job_id: str) -> str:
        """Why the job ended, for a run's error: the scheduler's reason if it ended
        the job, else how its processes ended."""
        if self.state in SCHEDULER_ENDED:
            return f"{SCHEDULER_ENDED[self.state]} (slurm job {job_id}, {self.state})"
        if self.signal:
            return f"slurm job {job_id} ended {self.state}: killed by signal {self.signal}"
        return f"slurm job {job_id} ended {self.state} (exit code {self.exit_code})"


def require_slurm() -> None:
    """One line when this machine cannot talk to a Slurm cluster (exit 2)."""
    missing = [tool for tool in ("sbatch", "scontrol", "scancel") if shutil.which(tool) is None]
    if missing:
        raise ConfigError(
            f"compute=slurm needs Slurm's {', '.join(missing)} on PATH: run harness on a "
            "Slurm login node, or install the Slurm client (apt-get install slurm-client)"
        )
    try:
        import submitit  # noqa: F401
    except ImportError:
        raise ConfigError(
            "compute=slurm needs submitit: pip install 'harness-ml[cluster]'"
        ) from None


def rejection_reason(stderr: str) -> str:
    """Slurm's own reason from sbatch's error output, without its prefixes."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    errors = [ln for ln in lines if "error" in ln.lower()] or lines or ["(no reason given)"]
    reason = errors[-1]
    for prefix in ("sbatch: error: ", "Batch job submission failed: "):
        if reason.startswith(prefix):
            reason = reason[len(prefix) :]
    return reason.strip()


def test_submission(script: str) -> None:
    """``sbatch --test-only``: does Slurm accept this job? Nothing is submitted.

    Raises ``SchedulerRejected`` with Slurm's reason, so a bad partition or GPU count
    is one line and exit 2 before any run exists.
    """
    with tempfile.TemporaryDirectory(prefix="harness-sbatch-") as tmp:
        path = Path(tmp) / "job.sh"
        path.write_text(script)
        done = subprocess.run(
            ["sbatch", "--test-only", str(path)], capture_output=True, text=True, timeout=60
        )
    # sbatch --test-only answers on stderr in both cases ("Job ... to start at ...").
    if done.returncode != 0:
        raise SchedulerRejected(f"Slurm rejected the job: {rejection_reason(done.stderr)}")


def _fields(line: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for item in line.split():
        key, sep, value = item.partition("=")
        if sep:
            fields[key] = value
    return fields


def _scontrol(job_id: str) -> list[dict[str, str]]:
    done = subprocess.run(
        ["scontrol", "show", "job", "-o", str(job_id)], capture_output=True, text=True, timeout=60
    )
    if done.returncode != 0:
        return []
    return [_fields(line) for line in done.stdout.splitlines() if line.strip()]


def _state_of(fields: dict[str, str]) -> JobState:
    code, _, sig = fields.get("ExitCode", "").partition(":")
    return JobState(
        state=fields.get("JobState", "UNKNOWN"),
        reason=fields.get("Reason", ""),
        exit_code=int(code) if code.isdigit() else None,
        signal=int(sig) if sig.isdigit() else None,
        nodes=fields.get("NodeList", ""),
    )


def job_state(job_id: str) -> JobState | None:
    """The job's state now; None if neither scontrol nor sacct knows it (yet)."""
    lines = _scontrol(job_id)
    if lines:
        return _state_of(lines[0])
    return _sacct_state(job_id)


def array_states(array_id: str) -> dict[str, JobState]:
    """Every started task of a job array, ``"ARRAY_TASK"`` → state, in one call.
    Tasks still pending in the array's own record are left out (not final)."""
    states = {}
    for fields in _scontrol(array_id):
        task = fields.get("ArrayTaskId", "")
        if task.isdigit():
            states[f"{fields.get('ArrayJobId', array_id)}_{task}"] = _state_of(fields)
    return states


def _sacct_state(job_id: str) -> JobState | None:
    if shutil.which("sacct") is None:
        return None
    done = subprocess.run(
        ["sacct", "-n", "-X", "-P", "-o", "State,ExitCode,NodeList,Reason", "-j", str(job_id)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    line = done.stdout.strip().splitlines()[0] if done.stdout.strip() else ""
    if done.returncode != 0 or not line:
        return None
    return sacct_line_state(line)


def sacct_line_state(line: str) -> JobState:
    """The state in one line of ``sacct -n -X -P -o State,ExitCode,NodeList,Reason``."""
    state, exit_code, nodes, reason = ([*line.split("|"), "", "", ""])[:4]
    code, _, sig = exit_code.partition(":")
    return JobState(
        state=state.split()[0] if state else "UNKNOWN",  # "CANCELLED by 0"
        reason=reason,
        exit_code=int(code) if code.isdigit() else None,
        signal=int(sig) if sig.isdigit() else None,
        nodes=nodes,
    )


def cancel(job_id: str, signal: str | None = None) -> None:
    """``scancel`` the job (all its steps); a job already gone is not an error."""
    cmd = (
        ["scancel", str(job_id)]
        if signal is None
        else ["scancel", f"--signal={signal}", "--full", str(job_id)]
    )
    subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def slurm_job_id() -> str | None:
    """This process's Slurm job id as submitit spells it (``ARRAY_TASK`` for arrays)."""
    array, task = os.environ.get("SLURM_ARRAY_JOB_ID"), os.environ.get("SLURM_ARRAY_TASK_ID")
    if array and task:
        return f"{array}_{task}"
    return os.environ.get("SLURM_JOB_ID") or None
