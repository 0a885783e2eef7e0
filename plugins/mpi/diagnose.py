"""Name the rank that failed, and why, from the logs of a failed MPI job."""

from __future__ import annotations

import re
from pathlib import Path

TRACEBACK = "Traceback (most recent call last):"
#: Open MPI's launcher: "process rank 1 with PID 42 on node x exited on signal 9 (Killed)".
_SIGNALED = re.compile(r"process rank (\d+) with PID \d+ on node \S+ exited on\s+signal (\d+)")
_ABORTED = re.compile(r"process rank (\d+) with PID \d+ on node \S+ calling\s+\"abort\"")
#: Open MPI's "A daemon failed to report back after being spawned" names the host.
_REMOTE_HOST = re.compile(r"Remote host:\s+(\S+)")
_DASHES = re.compile(r"^-{3,}$")


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
    return launcher_failure(launcher, exit_code)


def launcher_failure(text: str, exit_code: int) -> str:
    """One line from mpiexec's own output when no rank said why.

    Open MPI explains itself in help blocks between dashed lines, whose *first*
    paragraph is the reason (the last line is boilerplate such as "Please revise
    the conflict and try again", which is what used to be reported, or nothing).
    A host that could not be reached is named with the launch agent's (ssh's) words.
    """
    lines = [ln.rstrip() for ln in text.splitlines()]
    host = _REMOTE_HOST.search(text)
    if host and "failed to report back" in text:
        name = host.group(1)
        outside = _outside_blocks(lines)
        cause = next((ln for ln in outside if name in ln), outside[0] if outside else "")
        cause = (
            cause or "its daemon did not report back (firewall, or no harness environment there)"
        )
        return (
            f"could not start MPI on host {name}: {cause}. Check that `ssh {name} true` works "
            "without a prompt and that the same Python environment exists at the same path "
            "there (docs/mpi.md, Several machines)"
        )[:500]
    reason = _first_paragraph_of_last_block(lines)
    if "more processes than the ppr" in reason:
        reason += (
            " (compute.hosts names one machine more than once? Open MPI counts localhost, "
            "127.0.0.1 and the machine's name as one node: name each machine once)"
        )
    if not reason:
        kept = [ln.strip() for ln in lines if ln.strip() and not _DASHES.match(ln.strip())]
        reason = kept[-1] if kept else ""
    if reason:
        return f"mpiexec exited with code {exit_code}: {reason}"[:500]
    return f"mpiexec exited with code {exit_code}; see logs/"


def _outside_blocks(lines: list[str]) -> list[str]:
    """Non-blank lines that are not inside an Open MPI help block."""
    out, inside = [], False
    for line in lines:
        if _DASHES.match(line.strip()):
            inside = not inside
            continue
        if not inside and line.strip():
            out.append(line.strip())
    return out


def _first_paragraph_of_last_block(lines: list[str]) -> str:
    marks = [i for i, ln in enumerate(lines) if _DASHES.match(ln.strip())]
    if len(marks) < 2:
        return ""
    block = lines[marks[-2] + 1 : marks[-1]]
    paragraph: list[str] = []
    for line in block:
        if not line.strip():
            if paragraph:
                break
            continue
        paragraph.append(line.strip())
    return " ".join(paragraph).rstrip(":")
