"""A daemon thread that runs a logger's slow calls (disk, network) off the job's path.

``run.log`` hands batches to the loggers from the run's own flush thread; a
logger that writes to MLflow or TensorBoard would still hold that thread (and
a full buffer would block ``run.log``) for as long as each write takes. Work is
queued here instead, in order. The queue is bounded so a sink that cannot keep
up slows the job down rather than filling memory. ``close`` drains the queue, so
the tail is never lost, and an error from the thread is raised on the next call
so that the run reports it once and switches the logger off.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

_STOP = object()


class BackgroundSink:
    def __init__(self, name: str, max_pending: int = 64) -> None:
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max_pending)
        self._error: BaseException | None = None
        #: What was queued after a failure and so never written (told with the error).
        self._dropped = 0
        self._thread: threading.Thread | None = threading.Thread(
            target=self._loop, name=f"harness-{name}", daemon=True
        )
        try:
            self._thread.start()
        except RuntimeError:  # Python 3.12+ refuses new threads at interpreter shutdown
            self._thread = None  # (a process that first logs in close() at exit): inline

    def submit(self, func: Callable[..., Any], *args: Any) -> None:
        self.raise_error()
        if self._thread is None:
            self._run(func, args)
            return
        self._queue.put((func, args))

    def raise_error(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _loop(self) -> None:
        failed = False
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            if failed:
                self._dropped += 1  # keep draining so submit never blocks on a dead sink
                continue
            failed = not self._run(*item)

    def _run(self, func: Callable[..., Any], args: tuple[Any, ...]) -> bool:
        try:
            func(*args)
            return True
        except BaseException as exc:  # handed to the caller on its next call
            # Say which step failed: the caller only sees the call it was making.
            self._error = SinkError(f"{func.__name__.lstrip('_')}: {type(exc).__name__}: {exc}")
            self._error.__cause__ = exc
            return False

    def close(self, timeout: float) -> None:
        """Run everything queued, stop the thread, and raise its error if any."""
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise TimeoutError(f"still writing after {timeout:g} s; the rest is dropped")
        if self._error is not None and self._dropped:
            first = self._error
            self._error = SinkError(f"{first}; {self._dropped} later write(s) were not made")
            self._error.__cause__ = first.__cause__
        self.raise_error()


class SinkError(RuntimeError):
    """A logger's background write failed; the message names the step that did."""
