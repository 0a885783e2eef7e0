"""Stale-run detection: a run whose driver died is shown ``Failed``, never ``Running``.

The driver records its pid and host when the run starts. On this host a run that is
still ``Running`` while that pid is gone (or now belongs to a younger process,
i.e. the pid was reused) has lost its driver: nobody will ever write its final
status, so we write ``Failed`` with the reason, under the run's lock.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime
from functools import lru_cache

from harness.run.record import FAILED, RUNNING, RunRecord
from harness.run.store import RunStore, now_iso


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


def _process_start(pid: int) -> float | None:
    """Start time (epoch seconds) of ``pid`` from /proc; None where /proc is missing."""
    boot = _boot_time()
    if boot is None:
        return None
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def pid_alive(pid: int, started_before: float | None = None) -> bool:
    """Whether ``pid`` runs and (if known) started no later than ``started_before``."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    if started_before is not None:
        began = _process_start(pid)
        # 2 s of slack: /proc times are in clock ticks and the boot time is rounded.
        if began is not None and began > started_before + 2.0:
            return False  # the pid was reused by a newer process
    return True


def stale_reason(record: RunRecord, host: str | None = None) -> str | None:
    """Why a ``Running`` record is dead, or None if it may still be alive."""
    if record.status != RUNNING or record.pid is None:
        return None
    if record.host != (host or socket.gethostname()):
        return None  # another host's pid says nothing here
    started = None
    if record.started:
        try:
            started = datetime.fromisoformat(record.started).timestamp()
        except ValueError:
            started = None
    if pid_alive(record.pid, started):
        return None
    return (
        f"the driver process (pid {record.pid} on {record.host}) ended without "
        "recording a final status"
    )


def reconcile(store: RunStore, record: RunRecord) -> RunRecord:
    """Mark ``record`` Failed if its driver is gone; return the (possibly new) record."""
    reason = stale_reason(record)
    if reason is None:
        return record

    def mark(current: RunRecord) -> None:
        # Re-checked under the lock: the driver may have finished meanwhile.
        if current.status == RUNNING and current.pid == record.pid:
            from harness.run import metrics

            current.status = FAILED
            current.ended = now_iso()
            current.error = reason
            assert current.path is not None
            current.metrics = metrics.last_values(current.path)

    try:
        return store.update(record.id, mark)
    except OSError:  # a read-only workspace: still show the truth
        record.status, record.error = FAILED, reason
        return record
