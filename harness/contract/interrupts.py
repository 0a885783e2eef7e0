"""Ctrl-C, SIGTERM and stop requests in a driver: raise KeyboardInterrupt, and remember it.

A driver turns both signals into ``KeyboardInterrupt`` in the main thread, so the
code that holds the run writes its final status (``Canceled``) itself. Python can
swallow that exception: raised while the main thread runs an at-fork hook (every
``Popen`` with a ``preexec_fn`` runs them) or a ``__del__``, it is printed as
"Exception ignored in: ..." and the program goes on. A Ctrl-C at a job's start was
lost that way: the job ran to the end and a sweep went on to its next job.

So the handler also sets a flag that is never cleared (until ``reset``, when a new
``harness train`` starts in the process). The waits on a running job
(``run_supervised``, the slurm and ray follows) poll it and stop the job as for
Ctrl-C, and the driver does not start a run once it is set.

The stop request is the other way to stop the job a driver supervises: another
thread (the sweep watch's early termination) sets it, and the same waits stop the
job as Ctrl-C does. It belongs to this process, like a signal, so it lives here:
a leaf module that imports nothing of the harness, usable from every layer.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

__all__ = [
    "INTERRUPTS",
    "check",
    "deferred",
    "interrupted",
    "on_interrupt",
    "recorded",
    "reset",
    "stop_event",
]

#: What a driver treats as an interrupt while a run is launched.
INTERRUPTS = (signal.SIGINT, signal.SIGTERM)


class _State:
    def __init__(self) -> None:
        #: Set by a Ctrl-C or SIGTERM to this driver and never cleared.
        self.interrupted = threading.Event()
        #: Set to stop the job this process supervises exactly as Ctrl-C does.
        self.stop = threading.Event()


# The process's one state (signals are per process too); `reset` replaces it.
_state = _State()


def reset() -> None:
    """Forget earlier interrupts and stop requests: a new ``harness train`` starts."""
    global _state
    _state = _State()


def on_interrupt(signum: int, frame: object) -> None:
    _state.interrupted.set()  # first: the exception below may be swallowed
    raise KeyboardInterrupt


def interrupted() -> bool:
    """Whether this driver got a Ctrl-C or SIGTERM (even one Python swallowed)."""
    return _state.interrupted.is_set()


def stop_event() -> threading.Event:
    """The stop request of the job this process supervises: set it to stop the job
    as Ctrl-C does (the sweep watch does, for early termination); one job per
    driver at a time."""
    return _state.stop


@contextlib.contextmanager
def recorded(*signums: int) -> Iterator[None]:
    """Within the block, ``signums`` (default: Ctrl-C and SIGTERM) go to
    ``on_interrupt``; the previous handlers come back after it. Outside the main
    thread (where Python delivers no signal) it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, on_interrupt) for signum in signums or INTERRUPTS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Within the block, Ctrl-C and SIGTERM are only recorded (``interrupted()``,
    ``check()`` afterwards), so the block runs to its end: a run's final status is
    written whole. Outside the main thread it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def record_only(signum: int, frame: object) -> None:
        _state.interrupted.set()

    previous = {signum: signal.signal(signum, record_only) for signum in INTERRUPTS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def check() -> None:
    """Raise KeyboardInterrupt if this driver was interrupted already (its
    exception may have been swallowed): nothing new starts after a Ctrl-C."""
    if _state.interrupted.is_set():
        raise KeyboardInterrupt
