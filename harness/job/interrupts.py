"""Ctrl-C and SIGTERM in a driver: raise KeyboardInterrupt, and remember it.

A driver turns both signals into ``KeyboardInterrupt`` in the main thread, so the
code that holds the run writes its final status (``Canceled``) itself. Python can
swallow that exception: raised while the main thread runs an at-fork hook (every
``Popen`` with a ``preexec_fn`` runs them) or a ``__del__``, it is printed as
"Exception ignored in: ..." and the program goes on. A Ctrl-C at a job's start was
lost that way: the job ran to the end and a sweep went on to its next job.

So the handler also sets ``Session.interrupted``, which is never cleared. The waits
on a running job (``run_supervised``, the slurm and ray follows) poll it and stop
the job as for Ctrl-C, and ``driver.run_job`` does not start a run once it is set.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

from harness.job import session

#: What a driver treats as an interrupt while a run is launched.
INTERRUPTS = (signal.SIGINT, signal.SIGTERM)


def on_interrupt(signum: int, frame: object) -> None:
    session.ensure().interrupted.set()  # first: the exception below may be swallowed
    raise KeyboardInterrupt


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


def check() -> None:
    """Raise KeyboardInterrupt if this driver was interrupted already (its
    exception may have been swallowed): nothing new starts after a Ctrl-C."""
    if session.ensure().interrupted.is_set():
        raise KeyboardInterrupt
