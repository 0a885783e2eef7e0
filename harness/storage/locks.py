"""Exclusive locks on a lock file, between processes and between threads.

``flock`` on a fresh open file description, the way ``filelock``'s Unix lock takes
it, so a harness of either kind and ``filelock`` users exclude each other on the
same file. Each ``file_lock`` opens the file anew: two threads of one process
exclude each other too, and a lock is never re-entered (nesting one path
deadlocks, as two ``filelock.FileLock`` objects would).

Hand-written because ``filelock`` costs 10–20 ms to import (4.x: ``decimal``,
``platform``, its settings and fork handling) on paths that take one lock, such as
``harness datastore upload``; benchmarks/README.md, start-up of a datastore command.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = ["LockTimeout", "file_lock"]

_FLAGS = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
#: Longest wait between two tries of a lock that has a timeout.
_MAX_POLL_S = 0.05


class LockTimeout(TimeoutError):
    """The lock stayed held by someone else for the whole timeout."""


@contextlib.contextmanager
def file_lock(path: str | os.PathLike[str], timeout: float | None = None) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created, never its folder) for the block.

    ``timeout=None`` waits as long as it takes; otherwise ``LockTimeout`` after
    ``timeout`` seconds. ``FileNotFoundError`` when the folder does not exist.
    """
    fd = os.open(path, _FLAGS, 0o644)
    try:
        if timeout is None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        else:
            _wait_for(fd, Path(path), timeout)
        yield
    finally:
        os.close(fd)  # closing the last descriptor releases the lock


def _wait_for(fd: int, path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    pause = 0.001
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
        left = deadline - time.monotonic()
        if left <= 0:
            raise LockTimeout(
                f"{path} is still locked by another process after {timeout:g} s; "
                "wait for it to finish, or end it if it hangs"
            )
        time.sleep(min(pause, left))
        pause = min(pause * 2, _MAX_POLL_S)
