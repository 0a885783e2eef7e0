"""Is this process alive? The one answer, for every record that names a process.

A run's and a sweep's driver, an environment's builder, a datastore's temporary
file: each names the process that owns it, and each reader asks whether that
process is still there. The rule is the same for all of them:

- the pid must exist (``kill(pid, 0)``; a pid owned by another user exists too);
- it must not be a zombie or dead (it has exited; only its parent has not reaped
  it: in a container, init may never reap it);
- where the record knows when its process started, the pid must be that process:
  the same start time in clock ticks since boot (``pid_start``, exact), or, for
  older records with only a wall-clock start, not younger than it. A reused pid
  belongs to a younger process.

Where ``/proc`` is missing (not Linux), only the first rule can be checked.
"""

from __future__ import annotations

import os
from functools import lru_cache

from harness import pids

__all__ = ["alive", "start_ticks"]

#: Slack for a wall-clock start: /proc times are in ticks and the boot time is rounded.
_SLACK_S = 2.0


def _stat_fields(pid: int) -> list[str] | None:
    """``/proc/PID/stat`` after the command name (whose parentheses may hold spaces)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            return handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (``/proc/PID/stat`` field
    22), or None when it is gone or ``/proc`` cannot tell."""
    fields = _stat_fields(pid)
    try:
        return int(fields[19]) if fields else None
    except (IndexError, ValueError):
        return None


@lru_cache(maxsize=1)
def _boot_time() -> float | None:
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("btime "):
                    return float(line.split()[1])
    except OSError:
        return None
    return None


def alive(pid: int, *, ticks: int | None = None, started_before: float | None = None) -> bool:
    """Whether ``pid`` is a live process and, when known, the one the record means:
    ``ticks`` is its recorded start in clock ticks since boot; ``started_before``
    (epoch seconds) a time it had already started by."""
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    if not pids.exists(pid):
        return False
    fields = _stat_fields(pid)
    if fields is None:
        return True  # no /proc: existence is all that can be known
    if fields[0] in ("Z", "X"):
        return False
    began = start_ticks(pid)
    if began is None:
        return True
    if ticks is not None:
        return began == ticks
    boot = _boot_time()
    if started_before is not None and boot is not None:
        return boot + began / os.sysconf("SC_CLK_TCK") <= started_before + _SLACK_S
    return True
