"""A daemon thread that runs a logger's slow calls (disk, network) off the job's path.

Public for plugin authors: a logger whose store is slow hands its work to a
``BackgroundSink`` and returns at once (the built-in ``tensorboard`` and
``mlflow`` loggers do). Two kinds of work, run in the order they were given:

- ``submit(func, *args)``: a control call (open the store, write the params,
  finish). Never dropped; ``submit`` returns at once.
- ``submit_values(func, values)``: data (metric events). Consecutive data calls of
  the same ``func`` that queued up while the thread was busy are merged into one
  call, so a store that batches (MLflow, an event file) gets one large write per
  interval instead of many small ones. The queue is bounded in *values*
  (``max_values``) and never makes the caller wait: a store that falls half a
  queue behind is told once on stderr; past the bound, data that can be read back
  (a list with a ``reload()`` method: the run hands its loggers a
  ``harness.run.metrics.MetricBatch``, which knows where its events lie in the
  run's metrics file) is let go of and re-read from that file when the thread gets
  to it, so nothing is lost and memory stays bounded; other data is dropped
  (counted, told once, and the total again at ``close``). A logger that stalls
  thus delays only its own store, never training.

``close`` drains the queue (so the tail is never lost), and an error from the
thread is raised on the next call, so that the run reports it once and switches
the logger off.
"""

from __future__ import annotations

import collections
import sys
import threading
from collections.abc import Callable
from typing import Any, NamedTuple

#: Default bound of the values a store may hold in memory: 5 s of a job logging
#: 100,000 values/s, about 70 MB of metric events at most (the loggers share them).
DEFAULT_MAX_VALUES = 500_000
#: The most values merged into one data call.
MAX_MERGED_VALUES = 100_000


class _Work(NamedTuple):
    func: Callable[..., Any]
    args: tuple[Any, ...]
    #: False for a control call; True for data (passed as the last argument).
    data: bool = False
    #: The data in memory (None once let go of: then ``reload`` reads it back).
    values: list[Any] | None = None
    reload: Callable[[], list[Any]] | None = None
    #: How many values the data holds.
    size: int = 0


_STOP = _Work(lambda: None, ())


def _warn_stderr(message: str) -> None:
    print(f"harness: warning: {message}", file=sys.stderr, flush=True)


class BackgroundSink:
    """``name`` appears in the warnings (``logger 'NAME' ...``)."""

    def __init__(
        self,
        name: str,
        max_values: int = DEFAULT_MAX_VALUES,
        warn: Callable[[str], None] = _warn_stderr,
    ) -> None:
        self.name = name
        self.max_values = max(1, int(max_values))
        self._warn = warn
        self._work: collections.deque[_Work] = collections.deque()
        self._ready = threading.Condition()
        #: Values queued or being written (the bound applies to these).
        self._pending_values = 0
        #: Values refused because the queue was full.
        self.dropped_values = 0
        self._told_lag = False
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

    # -- giving work ---------------------------------------------------------
    def submit(self, func: Callable[..., Any], *args: Any) -> None:
        """Queue a control call; it is never dropped."""
        self._give(_Work(func, args))

    def submit_values(self, func: Callable[..., Any], values: list[Any], *args: Any) -> None:
        """Queue ``func(*args, values)``; merged with queued calls of the same
        ``func`` and ``args``. Never waits: past ``max_values`` the values are
        re-read later through ``values.spill()`` if they have it, else dropped."""
        if not values:
            return
        self.raise_error()
        count = len(values)
        spill = getattr(values, "spill", None)
        work = _Work(func, args, True, values, None, count)
        with self._ready:
            if self._pending_values + count > self.max_values:
                if spill is None:
                    if not self.dropped_values:
                        self._warn(
                            f"logger '{self.name}' cannot keep up: its queue is full "
                            f"({self.max_values:,} values), new values are dropped from its "
                            "store (the run's own metrics keep them)"
                        )
                    self.dropped_values += count
                    return
                work = work._replace(values=None, reload=spill())  # read back later
            else:
                self._pending_values += count
            behind = self._pending_values > self.max_values // 2 or work.values is None
            if behind and not self._told_lag:
                self._told_lag = True
                self._warn(
                    f"logger '{self.name}' lags: more than {self.max_values // 2:,} values "
                    "are waiting for its store (training goes on)"
                )
        self._give(work)

    def _give(self, work: _Work) -> None:
        self.raise_error()
        if self._thread is None:
            self._run(self._loaded(work))
            self._done(work)
            return
        with self._ready:
            self._work.append(work)
            self._ready.notify()

    def raise_error(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    # -- the thread ------------------------------------------------------------
    def _next(self) -> list[_Work]:
        """The next call, with the data calls queued right behind it that it can
        merge with (same function and arguments, up to MAX_MERGED_VALUES)."""
        with self._ready:
            while not self._work:
                self._ready.wait()
            taken = [self._work.popleft()]
            first = taken[0]
            if not first.data:
                return taken
            total = first.size
            while self._work:
                peer = self._work[0]
                if not (peer.data and peer.func == first.func and peer.args == first.args):
                    break
                if total + peer.size > MAX_MERGED_VALUES:
                    break
                taken.append(self._work.popleft())
                total += peer.size
            return taken

    @staticmethod
    def _loaded(work: _Work) -> _Work:
        if work.data and work.values is None and work.reload is not None:
            return work._replace(values=work.reload())
        return work

    def _done(self, work: _Work) -> None:
        if work.data and work.values is not None:
            with self._ready:
                self._pending_values -= work.size

    def _loop(self) -> None:
        failed = False
        while True:
            taken = self._next()
            if taken[0] is _STOP:
                return
            if failed:
                self._dropped += 1  # keep draining so the queue never fills on a dead sink
            else:
                try:
                    work = self._merged([self._loaded(item) for item in taken])
                except BaseException as exc:  # the metrics file could not be read back
                    work = _Work(self._raise, (exc,))
                failed = not self._run(work)
            for item in taken:
                self._done(item)

    @staticmethod
    def _merged(items: list[_Work]) -> _Work:
        if len(items) == 1:
            return items[0]
        values: list[Any] = []
        for item in items:
            values.extend(item.values or ())  # a new list: the callers' are not ours
        return items[0]._replace(values=values, size=len(values))

    @staticmethod
    def _raise(exc: BaseException) -> None:
        raise exc

    def _run(self, work: _Work) -> bool:
        args = (*work.args, work.values) if work.data else work.args
        try:
            work.func(*args)
            return True
        except BaseException as exc:  # handed to the caller on its next call
            # Say which step failed: the caller only sees the call it was making.
            name = getattr(work.func, "__name__", "write").lstrip("_")
            self._error = SinkError(f"{name}: {type(exc).__name__}: {exc}")
            self._error.__cause__ = exc
            return False

    # -- the end ---------------------------------------------------------------
    def close(self, timeout: float) -> None:
        """Run everything queued, stop the thread, and raise its error if any."""
        if self._thread is not None:
            with self._ready:
                self._work.append(_STOP)
                self._ready.notify()
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise TimeoutError(f"still writing after {timeout:g} s; the rest is dropped")
        if self.dropped_values:
            self._warn(
                f"logger '{self.name}': {self.dropped_values:,} values in all were dropped "
                "because its store could not keep up"
            )
        if self._error is not None and self._dropped:
            first = self._error
            self._error = SinkError(f"{first}; {self._dropped} later write(s) were not made")
            self._error.__cause__ = first.__cause__
        self.raise_error()


class SinkError(RuntimeError):
    """A logger's background write failed; the message names the step that did."""
