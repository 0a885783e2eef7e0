"""Name the rank that failed, and why, from the logs of a failed MPI job."""

from __future__ import annotations

import re
import signal
from pathlib import Path

from harness.contract.compute_kit import exception_line

#: Open MPI's launcher: "process rank 1 with PID 42 on node x exited on signal 9 (Killed)".
_SIGNALED = re.compile(r"process rank (\d+) with PID \d+ on node \S+ exited on\s+signal (\d+)")
_ABORTED = re.compile(r"process rank (\d+) with PID \d+ on node \S+ calling\s+\"abort\"")
#: Open MPI's "A daemon failed to report back after being spawned" names the host.
_REMOTE_HOST = re.compile(r"Remote host:\s+(\S+)")
_DASHES = re.compile(r"^-{3,}$")


#: Launcher failures that happen before any rank exists and that a second start
#: clears: Open MPI's PMIx server binds its listener at start-up, and on a busy
#: machine that has been seen failing once in a few hundred starts, with nothing
#: wrong in the job (also reported by others: lfortran/lfortran#8610).
TRANSIENT_STARTUP = ("The PMIx server's listener thread failed to start",)


def transient_startup_failure(logs_dir: Path, world_size: int) -> str | None:
    """The launcher's reason when mpiexec failed in a way worth one more start:
    no rank began (no ``rank_N.txt``, so none of the job's code ran) and mpiexec's
    own words are one of ``TRANSIENT_STARTUP``; else None."""
    if any((logs_dir / f"rank_{rank}.txt").exists() for rank in range(world_size)):
        return None
    launcher_log = logs_dir / "mpiexec.txt"
    text = launcher_log.read_text(errors="replace") if launcher_log.is_file() else ""
    normalized = " ".join(text.split())
    return next((phrase for phrase in TRANSIENT_STARTUP if phrase in normalized), None)


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
    if exit_code < 0:
        # mpiexec itself died of a signal: something outside the job killed it (a
        # failing rank makes it exit with a status, never die of a signal). Its ranks
        # die with it (SIGTERM when their launcher dies), and whatever they print on the
        # way out (a traceback, an interpreter's fatal-error dump) is a consequence.
        return (
            f"mpiexec was killed by {_signal_name(-exit_code)}; every rank was stopped with "
            "it (their logs are logs/rank_N.txt)"
        )
    if causes:
        rank, line = causes[0]
        aborted = _ABORTED.search(launcher)
        if aborted and any(r == int(aborted.group(1)) for r, _ in causes):
            rank, line = next(f for f in causes if f[0] == int(aborted.group(1)))
        more = f" (and {len(causes) - 1} more rank(s))" if len(causes) > 1 else ""
        return f"rank {rank} failed: {line}{more}; traceback in logs/rank_{rank}.txt"[:500]
    killed = killed_rank(logs_dir, world_size, launcher, exit_code)
    if killed:
        return killed
    return launcher_failure(launcher, exit_code)


def killed_rank(logs_dir: Path, world_size: int, launcher: str, exit_code: int) -> str | None:
    """ "rank N was killed by SIGX (signal n)" for a rank that died of a signal.

    First from the ranks' own exit records (``rank_N.exit``, written by every rank
    that could: a script-mode rank whose script was killed records 128+n); then a
    rank that started but left no record was killed outright: its signal comes from
    the launcher's words where they name it, else from mpiexec's exit status. The
    SIGTERMs that mpiexec sends the other ranks once one has died are consequences,
    not the cause."""
    codes: dict[int, int | None] = {}
    ended: dict[int, int] = {}
    for rank in range(world_size):
        if not (logs_dir / f"rank_{rank}.txt").is_file():
            continue  # never started (or no log): says nothing
        codes[rank], ended[rank] = _exit_record(logs_dir / f"rank_{rank}.exit")
    said = _launcher_signals(launcher)
    by_signal = {r: _signal_of(c) for r, c in codes.items() if c is not None and _signal_of(c)}
    # The first rank to die is the cause: a SIGTERM to rank 1's script is rank 1's
    # failure, though mpiexec then SIGTERMs rank 0 too (records in the order written).
    first = sorted(by_signal, key=lambda r: ended[r])
    causes = [r for r in first if by_signal[r] not in _CONSEQUENCES]
    # The launcher names the first process it saw fail; where that rank's own record
    # says the same signal, it is the cause, though its signal is one mpiexec also
    # sends (a SIGTERM to rank 1's script, after which rank 0 may be stopped before it
    # can leave a record). Launchers' words alone are not trusted (they vary).
    confirmed = [r for r, signum in said.items() if by_signal.get(r) == signum]
    unrecorded = [r for r, c in codes.items() if c is None]
    for rank in [*causes, *confirmed, *unrecorded, *first]:
        signum = by_signal.get(rank) or said.get(rank) or _signal_of(exit_code)
        what = f"killed by {_signal_name(signum)}" if signum else "killed by a signal"
        return (
            f"rank {rank} was {what}; its log is logs/rank_{rank}.txt "
            "(every rank's in logs/rank_N.txt)"
        )
    if said:
        rank, signum = next(iter(said.items()))  # no rank log at all: the launcher's word
        return f"rank {rank} was killed by {_signal_name(signum)}; see logs/rank_{rank}.txt"
    return None


def _exit_record(path: Path) -> tuple[int | None, int]:
    """``rank_N.exit``: the exit status and when the rank saw its work end (ns; an
    older record without the time: the file's mtime, which only ticks every few ms)."""
    try:
        words = path.read_text().split()
        code = int(words[0])
    except (OSError, ValueError, IndexError):
        return None, 0
    try:
        return code, int(words[1])
    except (ValueError, IndexError):
        try:
            return code, path.stat().st_mtime_ns
        except OSError:
            return code, 0


#: Signals mpiexec (and the harness's own stop) send the surviving ranks.
_CONSEQUENCES = {signal.SIGTERM, signal.SIGINT}
#: Launchers' ways of naming a rank that died of a signal: Open MPI 4 ("exited on
#: signal 9"), Open MPI 5's prterun ("Process name: [prterun-x@1,1] Exit code: 137"),
#: MPICH's Hydra ("RANK 1 PID 7 RUNNING AT host ... KILLED BY SIGNAL: 9").
_LAUNCHER_SIGNALS = (
    (_SIGNALED, False),
    (re.compile(r"Process name:\s+\[[^\]]*,(\d+)\]\s+Exit code:\s+(\d+)"), True),
    (re.compile(r"RANK (\d+) PID \d+ RUNNING AT \S+\s+=*\s*KILLED BY SIGNAL: (\d+)"), False),
)


def _launcher_signals(text: str) -> dict[int, int]:
    found: dict[int, int] = {}
    for pattern, is_exit_code in _LAUNCHER_SIGNALS:
        for match in pattern.finditer(text):
            value = int(match.group(2))
            signum = _signal_of(value) if is_exit_code else value
            if signum:
                found.setdefault(int(match.group(1)), signum)
    return found


def _signal_of(code: int) -> int:
    """The signal an exit status stands for (-n from Python, 128+n from a shell)."""
    return -code if code < 0 else code - 128 if 128 < code < 128 + 65 else 0


def _signal_name(signum: int) -> str:
    try:
        return f"signal {signum} ({signal.Signals(signum).name})"
    except ValueError:
        return f"signal {signum}"


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
