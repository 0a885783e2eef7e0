"""The supervisor's stop when a second Ctrl-C (or Slurm's second SIGTERM on a
preemption) comes while it waits for the job's group to end, and the group is gone
by the time it sends SIGKILL: a fork server's child is reaped by the server, so no
zombie of ours keeps its group id. The job is Canceled; nothing raises."""

from __future__ import annotations

import signal
import threading

from harness.contract import supervise


class InterruptedJob:
    """A job process whose first two waits are cut by an interrupt: the driver's own
    wait, then the stop's grace wait."""

    args = ["job"]
    pid = 4_000_000  # never signalled for real: os.killpg is replaced below

    def __init__(self) -> None:
        self.returncode: int | None = None
        self.waits = 0

    def wait(self, timeout: float | None = None) -> int:
        self.waits += 1
        if self.waits <= 2:
            raise KeyboardInterrupt
        self.returncode = -int(signal.SIGTERM)
        return self.returncode


def test_a_second_interrupt_after_the_group_is_gone_still_cancels(monkeypatch):
    sent: list[int] = []

    def killpg(pgid: int, sig: int) -> None:
        sent.append(sig)
        if sig == signal.SIGKILL:  # the group vanished while we waited
            raise ProcessLookupError(3, "No such process")

    monkeypatch.setattr(supervise.os, "killpg", killpg)
    job = InterruptedJob()
    result = supervise._wait_or_stop(job, threading.Event(), None, None)  # type: ignore[arg-type]
    assert result.canceled and result.exit_code == -int(signal.SIGTERM)
    assert sent == [signal.SIGINT, signal.SIGKILL]
