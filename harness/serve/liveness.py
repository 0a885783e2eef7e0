"""Is a service's process still there? A dead one is recorded ``Failed``, never shown live.

The service process records its pid, its start time in clock ticks
(``/proc/PID/stat``) and the machine. On that machine a live-status record whose pid
is gone, or now belongs to a process that started at another time (a reused pid),
has lost its process: nobody will write its final status, so the reader writes
``Failed`` with the reason, under the record's lock. The same holds for a record
still ``Starting`` without a pid whose starter (the command or kernel that was
copying the models in, ``starter_pid``) is gone: its start was interrupted. Whether the process is alive
is ``harness.run.processes``' answer, as for runs and sweeps. ``owned`` is the
stronger check that ``services stop`` makes before it signals anything: the process
also holds the service's marker file open (``harness.run.ownership.holds``).
"""

from __future__ import annotations

import socket
from pathlib import Path

from harness.run import processes
from harness.run.ownership import holds
from harness.serve.store import (
    FAILED,
    MARKER_FILE,
    STARTING,
    ServiceRecord,
    ServiceStore,
    now_iso,
)


def process_alive(record: ServiceRecord) -> bool | None:
    """True/False for a record of this machine; None when it cannot be told here."""
    if record.machine not in (None, socket.gethostname()):
        return None
    if not isinstance(record.pid, int) or record.pid <= 1:
        if record.status != STARTING:
            return False
        return starter_alive(record)
    return processes.alive(record.pid, ticks=record.pid_start)


def starter_alive(record: ServiceRecord) -> bool | None:
    """Whether the process that starts the service is still at it (None: the record
    does not say, as records from before ``starter_pid`` existed)."""
    if record.starter_pid is None:
        return None
    return processes.alive(record.starter_pid, ticks=record.starter_start)


def interrupted(record: ServiceRecord) -> bool:
    """A service whose process never started, and never will: its starter is gone
    (what it left is staging, nothing ran; ``harness doctor --fix`` removes it)."""
    return record.started is None and record.pid is None and starter_alive(record) is False


def owned(record: ServiceRecord) -> str | None:
    """Why ``record.pid`` cannot be shown to be this service's process (None: it is)."""
    if process_alive(record) is not True:
        return f"process {record.pid} is gone or is not this service's"
    assert record.pid is not None
    marker = record.folder() / MARKER_FILE
    return None if holds(record.pid, marker) else f"process {record.pid} does not hold {marker}"


def observe(store: ServiceStore, record: ServiceRecord) -> ServiceRecord:
    """``record``, with a dead process recorded as ``Failed`` (written once)."""
    if not record.is_live or process_alive(record) is not False:
        return record

    def mark(current: ServiceRecord) -> None:
        if current.is_live and process_alive(current) is False:
            current.status = FAILED
            current.ended = now_iso()
            if current.pid is None:
                current.error = (
                    f"its start was interrupted: the process that started it (pid "
                    f"{current.starter_pid}) is gone, and no service process was started"
                )
            current.error = current.error or (
                f"the service process (pid {current.pid}) died; its output is in "
                f"{Path(current.folder(), 'logs', 'service.txt')}"
            )

    return store.update(record.name, mark)
