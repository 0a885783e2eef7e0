"""Name the rank that failed, and why, from the logs of a failed MPI job."""

from __future__ import annotations

import re
from pathlib import Path

TRACEBACK = "Traceback (most recent call last):"
#: Open MPI's launcher: "process rank 1 with PID 42 on node x exited on signal 9 (Killed)".
_SIGNALED = re.compile(r"process rank (\d+) with PID \d+ on node \S+ exited on\s+signal (\d+)")
_ABORTED = re.compile(r"process rank (\d+) with PID \d+ on node \S+ calling\s+\"abort\"")


def exception_line(log: str) -> str | None:
    """The exception line that ends the last Python traceback in ``log``."""
    at = log.rfind(TRACEBACK)
    if at < 0:
        return None
    for line in log[at:].splitlines()[1:]:
        # Frames are indented; the first unindented line after them is the exception.
        if line.strip() and not line.startswith((" ", "\t")):
            return line.strip()
    return None


def failure_message(logs_dir: Path, world_size: int, exit_code: int) -> str:
    """One line for ``JobResult.error``: the failing rank and its exception."""
    failures: list[tuple[int, str]] = []
    for rank in range(world_size):
        path = logs_dir / f"rank_{rank}.txt"
        if path.is_file():
            line = exception_line(path.read_text(errors="replace"))
            if line:
                failures.append((rank, line))
    # A rank interrupted by the abort of another is a consequence, not the cause.
    causes = [f for f in failures if not f[1].startswith("KeyboardInterrupt")] or failures
    launcher_log = logs_dir / "mpiexec.txt"
    launcher = launcher_log.read_text(errors="replace") if launcher_log.is_file() else ""
    if causes:
        rank, line = causes[0]
        aborted = _ABORTED.search(launcher)
        if aborted and any(r == int(aborted.group(1)) for r, _ in causes):
            rank, line = next(f for f in causes if f[0] == int(aborted.group(1)))
        more = f" (and {len(causes) - 1} more rank(s))" if len(causes) > 1 else ""
        return f"rank {rank} failed: {line}{more}; traceback in logs/rank_{rank}.txt"[:500]
    signaled = _SIGNALED.search(launcher)
    if signaled:
        rank, signum = signaled.groups()
        return f"rank {rank} was killed by signal {signum}; see logs/rank_{rank}.txt"
    lines = [ln.strip() for ln in launcher.splitlines() if ln.strip() and set(ln.strip()) != {"-"}]
    if lines:
        return f"mpiexec exited with code {exit_code}: {lines[-1]}"[:500]
    return f"mpiexec exited with code {exit_code}; see logs/"
