"""``run.progress`` updates reach the loggers on a thread of their own.

An estimator reports progress from its training loop (``for epoch in
run.progress(...)``). Calling each logger's ``progress`` there made the loop wait
for the slowest logger (a tracking server, a full disk), and for a logger busy with
a batch of metrics on the flush thread. The relay keeps only the newest update and
delivers it from a daemon thread: a logger that keeps up sees every update, a slow
one sees the latest, and the loop never waits. ``flush`` delivers what is pending
(the run does it before the loggers' ``finish``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

__all__ = ["ProgressRelay"]

#: (description, completed, total)
Update = tuple[str, int, "int | None"]


class ProgressRelay:
    def __init__(self, deliver: Callable[[str, int, int | None], None]) -> None:
        self._deliver = deliver
        self._lock = threading.Lock()
        self._latest: Update | None = None
        self._wake = threading.Event()
        #: Set while nothing is pending or being delivered.
        self._idle = threading.Event()
        self._idle.set()
        self._thread: threading.Thread | None = None

    def put(self, description: str, completed: int, total: int | None) -> None:
        """Hand over an update; returns at once (the newest pending one wins)."""
        with self._lock:
            self._latest = (description, completed, total)
            self._idle.clear()
            start, self._thread = (
                self._thread is None,
                self._thread
                or threading.Thread(target=self._loop, name="harness-progress", daemon=True),
            )
        if start:
            try:
                self._thread.start()
            except RuntimeError:  # interpreter shutdown refuses new threads: inline
                self._thread = None
                self._drain()
                return
        self._wake.set()

    def flush(self) -> None:
        """Deliver the pending update, if any, and wait until it is delivered."""
        if self._thread is None:
            return
        self._wake.set()
        self._idle.wait()

    def _loop(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            self._drain()

    def _drain(self) -> None:
        while True:
            with self._lock:
                update, self._latest = self._latest, None
                if update is None:
                    self._idle.set()
                    return
            try:
                self._deliver(*update)
            except Exception:  # the run reports a logger's failure itself; never stop here
                continue
