"""Proof that a process is a run's driver, before anything signals it.

A pid in ``run.json`` alone proves nothing: the record may be crafted, or the pid
reused. ``harness runs cancel`` signals only a process for which all three hold:

1. its pid is the record's ``pid`` on this host;
2. its start time (clock ticks since boot, ``/proc/PID/stat`` field 22) equals the
   record's ``pid_start``, taken by the driver itself;
3. it holds the run's own marker file ``runs/<id>/.driver`` open (one of its
   ``/proc/PID/fd`` entries is that very inode), which the driver opens when the
   run starts and keeps open (close-on-exec: jobs do not inherit it) until it ends.

Where ``/proc`` is missing nothing can be proven, and nothing is signalled.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from harness.run.processes import start_ticks
from harness.run.record import RunRecord

__all__ = ["MARKER_FILE", "claim", "holds", "release", "start_ticks", "unproven"]

MARKER_FILE = ".driver"


def claim(run_dir: Path) -> int:
    """Open the run's marker; the caller keeps the descriptor until the run ends."""
    flags = os.O_RDONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    return os.open(run_dir / MARKER_FILE, flags, 0o644)


def release(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)


def holds(pid: int, marker: Path) -> bool:
    """Whether process ``pid`` holds ``marker`` open (one of its descriptors is
    that very inode): how a run's driver, or a service's process, proves itself."""
    return _holds(pid, marker)


def _holds(pid: int, marker: Path) -> bool:
    try:
        want = os.stat(marker, follow_symlinks=False)
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for name in fds:
        try:
            st = os.stat(f"/proc/{pid}/fd/{name}")  # follows to the open file itself
        except OSError:
            continue
        if (st.st_dev, st.st_ino) == (want.st_dev, want.st_ino):
            return True
    return False


def unproven(record: RunRecord) -> str | None:
    """Why ``record.pid`` cannot be shown to be this run's driver (None: proven)."""
    assert record.path is not None
    pid = record.pid
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 1:
        return f"its record names no usable driver pid ({pid!r})"
    if record.pid_start is None:
        return "its record has no driver start time (written by an older harness?)"
    began = start_ticks(pid)
    if began is None:
        return f"process {pid} is gone or its start time cannot be read"
    if began != record.pid_start:
        return f"process {pid} started at another time than the run's driver (pid reused)"
    if not _holds(pid, record.path / MARKER_FILE):
        return f"process {pid} does not hold the run's marker file {record.path / MARKER_FILE}"
    return None
