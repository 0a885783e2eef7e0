"""Slots: at most N jobs of a sweep run at once, while the next ones are made ready.

Between two jobs a local launcher's worker spends 50-70 ms outside any job: Hydra
unpickles its context and composes the job, the driver plans it, records its
provenance and creates its run. With jobs of a second that is a few per cent; with
jobs of 0.1 s it is a third of the sweep. So the joblib launcher starts more
workers than the sweep runs jobs at once, and the workers share N *slots*: a
driver makes its run ready (recorded ``Queued``) and then waits for a slot; it
moves the run to ``Running`` once it holds one and hands the slot on once the run
is settled (so a stop its end asks for comes before the next job starts). At most
N jobs run; the others wait ready to start.

The slots are the bytes of a pipe, as GNU make's jobserver hands out its job
tokens: N bytes in a FIFO; taking a slot is a one-byte read, giving it back a
one-byte write. The kernel wakes a waiting reader when a byte arrives: no poll
stands between one job's end and the next one's start. A waiting driver also looks
every ``SKIP_CHECK_S`` whether its run should not start at all (the sweep was
stopped, its deadline passed): the run then ends ``Canceled``, "not started".

A worker that dies holding a slot loses it; joblib then fails the whole batch
anyway (its worker died), and the sweep's process removes the FIFO at the end. A
sweep's process killed outright (SIGKILL) cannot: its folder stays in the temporary
folder until the next launch's pool finds it unlocked and removes it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any

#: Seconds between a waiting driver's looks at whether its run may still start.
SKIP_CHECK_S = 0.1
#: Jobs per slot from which making jobs ready ahead pays by default. Each extra
#: worker starts an interpreter and a fork server with the estimator's framework
#: (~1 s of a core each here, before its first job), and saves ~20-50 ms a job:
#: measured on 2 cores with jobs of 0.1 s, 10 jobs took 1 s longer with them, 300
#: jobs 4.5 s shorter, so they pay from about 30 jobs a slot.
WORTH_IT_JOBS_PER_SLOT = 32
#: What a not-started run's error begins with (the sweep's own reason follows).
NOT_STARTED = "not started: "
#: The pools' folders in the temporary folder, each locked by its sweep's process.
FOLDER_PREFIX = "harness-slots-"
#: A folder younger than this is never taken for a killed sweep's: between its
#: creation and its lock a live pool's folder is unlocked for a moment.
STALE_AFTER_S = 60.0

#: The FIFO of the sweep this process runs jobs for (a launcher's worker), if any.
_path: list[str] = []
#: This process's open end of it: (path, descriptor).
_fd: list[tuple[str, int]] = []


class SlotPool:
    """The sweep process's side: the FIFO and its N bytes, for one launch."""

    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError(f"slots must be ≥ 1, got {slots}")
        remove_stale()
        self.folder = tempfile.mkdtemp(prefix=FOLDER_PREFIX)
        # Locked while this process lives (the kernel lets go when it dies, however).
        self._lock = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        self.path = os.path.join(self.folder, "slots")
        os.mkfifo(self.path, 0o600)
        # Held open for reading and writing for the whole launch: a FIFO whose
        # every end is closed loses its bytes, and readers would see end-of-file.
        self._fd = os.open(self.path, os.O_RDWR | os.O_NONBLOCK)
        os.write(self._fd, b"s" * slots)

    def close(self) -> None:
        os.close(self._fd)
        shutil.rmtree(self.folder, ignore_errors=True)
        os.close(self._lock)

    def __enter__(self) -> SlotPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def remove_stale() -> None:
    """Remove the pool folders that killed sweeps left behind: this user's, in the
    temporary folder, older than ``STALE_AFTER_S`` and locked by no process."""
    root = tempfile.gettempdir()
    with contextlib.suppress(OSError):
        names = [name for name in os.listdir(root) if name.startswith(FOLDER_PREFIX)]
        for name in names:
            folder = os.path.join(root, name)
            try:
                info = os.lstat(folder)
                if (
                    not stat.S_ISDIR(info.st_mode)
                    or info.st_uid != os.getuid()
                    or time.time() - info.st_mtime < STALE_AFTER_S
                ):
                    continue
                handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
            except OSError:
                continue
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(handle)
                continue  # a live launch's
            shutil.rmtree(folder, ignore_errors=True)
            os.close(handle)


def use(path: str | None) -> None:
    """Jobs of this process take their slots from ``path`` (None: no slots)."""
    _path.clear()
    if path:
        _path.append(path)


@contextlib.contextmanager
def held(skip: Callable[[], str | None], interrupted: str | None = None) -> Iterator[str | None]:
    """Wait for a slot and hold it; yield None. Yield instead the reason the run
    must not start (``skip``'s answer, with ``NOT_STARTED`` before it), found while
    waiting or just after the slot came; no slot is held then. A Ctrl-C while
    waiting is such a reason too (``interrupted``), where one is given. Without
    slots (not a worker of a slotted launch) yield None at once."""
    if not _path:
        yield None
        return
    fd = _descriptor(_path[0])
    try:
        reason = _take(fd, skip)
    except KeyboardInterrupt:
        if interrupted is None:
            raise
        reason = interrupted
    if reason is not None:
        yield NOT_STARTED + reason
        return
    try:
        reason = skip()  # a stop that came while this driver waited
        yield None if reason is None else NOT_STARTED + reason
    finally:
        os.write(fd, b"s")


def _descriptor(path: str) -> int:
    if _fd and _fd[0][0] != path:
        os.close(_fd.pop()[1])
    if not _fd:
        # Read and write, so opening never blocks and a read never sees end-of-file;
        # non-blocking, as every waiting driver wakes on a byte but only one gets it.
        _fd.append((path, os.open(path, os.O_RDWR | os.O_NONBLOCK)))
    return _fd[0][1]


def _take(fd: int, skip: Callable[[], str | None]) -> str | None:
    """Read one byte (a slot); return None, or ``skip``'s reason while waiting."""
    while True:
        readable, _, _ = select.select([fd], [], [], SKIP_CHECK_S)
        if readable:
            try:
                if os.read(fd, 1):
                    return None
            except BlockingIOError:
                pass  # another driver took it first
            continue
        reason = skip()
        if reason is not None:
            return reason


def ahead(sweep: Any, at_once: int, jobs: int) -> int:
    """How many jobs the launcher makes ready beyond the ``at_once`` running, for a
    batch of ``jobs``: ``sweep.prepare_ahead`` where given; by default as many as run
    at once, for a batch long enough to pay for the extra workers' start."""
    given = sweep.get("prepare_ahead") if sweep is not None else None
    if given is not None:
        return int(given)
    return at_once if jobs >= WORTH_IT_JOBS_PER_SLOT * at_once else 0
