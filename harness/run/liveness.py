"""Stale-run detection: a run whose driver died is shown ``Failed``, never ``Queued``
or ``Running``.

The driver records its pid, start time and host in the run's first write (the
record is created ``Queued``). On this host a run that is not final while that
process is gone (or the pid now belongs to another process) has lost its driver:
nobody will ever write its final status, so we write ``Failed`` with the reason,
under the run's lock. Whether the process is alive is ``harness.run.processes``'
answer, the same for every record that names a process.
"""

from __future__ import annotations

import socket
from datetime import datetime

from harness.run import processes
from harness.run.record import FAILED, RunRecord
from harness.run.store import RunStore, now_iso

#: How ``stale_reason`` begins (sweep resume tells a dead driver's run by it).
DRIVER_DIED = "the driver process"


def driver_alive(record: RunRecord) -> bool:
    """Whether the process the record names as its driver is alive (on this host)."""
    if record.pid is None:
        return False
    started = None
    if record.pid_start is None and (record.started or record.created):
        try:  # an older record: only its wall-clock start is known
            started = datetime.fromisoformat(record.started or record.created).timestamp()
        except ValueError:
            started = None
    return processes.alive(record.pid, ticks=record.pid_start, started_before=started)


def stale_reason(record: RunRecord, host: str | None = None) -> str | None:
    """Why a record that is not final is dead, or None if it may still be alive."""
    if record.is_final or record.pid is None:
        return None  # (a record written before the driver's identity was recorded)
    if record.host != (host or socket.gethostname()):
        return None  # another host's pid says nothing here
    if driver_alive(record):
        return None
    return (
        f"{DRIVER_DIED} (pid {record.pid} on {record.host}) ended without "
        f"recording a final status (the run was {record.status})"
    )


def reconcile(store: RunStore, record: RunRecord) -> RunRecord:
    """Mark ``record`` Failed if its driver is gone; return the (possibly new) record."""
    reason = stale_reason(record)
    if reason is None:
        return record

    def mark(current: RunRecord) -> None:
        # Re-checked under the lock: the driver may have finished meanwhile.
        if not current.is_final and current.pid == record.pid:
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
