"""The sweep watch: a small thread in the driver of each sweep job.

While the compute supervises the job, the watch reads the job's metric files
and those of the sweep's other runs, and asks the supervisor to stop the job
(``interrupts.stop_event()``, which the compute's supervisor handles exactly
like Ctrl-C) when

- the early-termination policy says the job fell behind,
- the sweep ran past ``sweep.max_duration``, or
- another job failed and ``sweep.fail_fast`` is set (``stop.json`` exists).

The driver then records the run ``Canceled`` with the watch's reason. Outside a
sweep the watch is a no-op. It never touches the job's process itself.

With a policy, the policy is evaluated when a report lands: the job writes each
report of the primary metric at once (``JobSpec.prompt_metrics``), and the watch
looks at the size of the job's metric files every ``REPORT_TICK_S`` (one
``scandir``), reading the histories only when they grew, and every ``POLL_S`` in
any case (a peer's reports may change the verdict too). Polling every ``POLL_S``
alone let a job of a few seconds end before any policy had a look at it.
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from harness.contract import interrupts
from harness.errors import NotFoundError
from harness.run import metrics
from harness.run.record import RunRecord
from harness.run.store import RunStore
from harness.sweeps import policies
from harness.sweeps.config import policy_options
from harness.sweeps.slots import NOT_STARTED
from harness.sweeps.store import SweepStore

#: Seconds between full checks (the sweep's stop, its deadline, the policy).
POLL_S = 0.5
#: Seconds between looks at the size of the job's metric files, with a policy.
REPORT_TICK_S = 0.02
#: How every reason the sweep gives for a cancel begins (the watch's, and a waiting
#: run's that a stopped sweep never started): a cancel without one came from the user.
REASON_PREFIXES = (
    "early-terminated by ",
    "sweep.max_duration ",
    "stopped by sweep.fail_fast",
    NOT_STARTED,
)


def is_watch_reason(error: str | None) -> bool:
    return bool(error) and str(error).startswith(REASON_PREFIXES)


def metric_history(run_dir: Path, name: str) -> policies.History:
    return metric_series(run_dir, name)[0]


def metric_series(run_dir: Path, name: str) -> tuple[policies.History, dict[int, float]]:
    """({step: value}, {step: when it was logged}) of metric ``name``."""
    history: policies.History = {}
    times: dict[int, float] = {}
    for event in metrics.read_events(run_dir):
        value = event.value
        if event.name == name and isinstance(value, (int, float)) and math.isfinite(value):
            history[int(event.step)] = float(value)
            times[int(event.step)] = float(event.time)
    return history, times


class JobWatch:
    def __init__(
        self,
        store: SweepStore,
        sweep_id: str,
        record: RunRecord,
        metric: str,
        goal: str,
        policy: dict[str, Any] | None,
        deadline: float | None,
        max_duration: float | None,
    ) -> None:
        self.store, self.sweep_id, self.record = store, sweep_id, record
        self.metric, self.goal, self.policy = metric, goal, policy
        self.deadline, self.max_duration = deadline, max_duration
        #: Why the watch stopped the job (None: it did not).
        self.stop_reason: str | None = None
        self._stop = interrupts.stop_event()
        self._done = threading.Event()
        self._final_peers: dict[str, policies.Peer] = {}
        self._thread = threading.Thread(target=self._loop, name="harness-sweep-watch", daemon=True)

    def start(self) -> None:
        self._stop.clear()
        self._thread.start()

    def close(self) -> None:
        self._done.set()
        self._thread.join(timeout=10)
        self._stop.clear()

    def _loop(self) -> None:
        tick = POLL_S if self.policy is None else REPORT_TICK_S
        seen, last_check = 0, time.monotonic()  # reports made before the start count
        while not self._done.wait(tick):
            if self.policy is not None:
                now, reported = time.monotonic(), self._reported()
                if reported == seen and now - last_check < POLL_S:
                    continue
                seen, last_check = reported, now
            try:
                reason = self.check()
            except Exception as exc:  # the watch must never fail the job
                print(f"harness: warning: sweep watch: {exc}", flush=True)
                continue
            if reason:
                self.stop_reason = reason
                self._stop.set()
                return

    def _reported(self) -> int:
        """Bytes in the job's metric files: they only grow, so a change is a report."""
        assert self.record.path is not None
        try:
            with os.scandir(self.record.path / metrics.METRICS_DIR) as entries:
                return sum(e.stat().st_size for e in entries if e.name.endswith(".jsonl"))
        except OSError:
            return 0

    def check(self) -> str | None:
        """One poll: the reason to stop the job now, or None."""
        stop = self.store.stop_reason(self.sweep_id)
        if stop:
            return stop
        if self.deadline is not None and time.time() > self.deadline:
            return f"sweep.max_duration ({self.max_duration:g} s) reached"
        if self.policy is None:
            return None
        assert self.record.path is not None
        own, own_times = metric_series(self.record.path, self.metric)
        if not own:
            return None
        reason = policies.should_stop(
            own, self._peers(), self.goal, self.policy, own_times=own_times, own_id=self.record.id
        )
        if reason:
            return f"early-terminated by {self.policy['name']} policy: {reason}"
        return None

    def _peers(self) -> list[policies.Peer]:
        """The sweep's other runs; a finished run's history is read only once."""
        runs = RunStore()
        peers = []
        for link in self.store.links(self.sweep_id):
            run_id = link.get("run_id")
            if not run_id or run_id == self.record.id or link.get("metric") != self.metric:
                continue
            if run_id in self._final_peers:
                peers.append(self._final_peers[run_id])
                continue
            try:
                peer_record = runs.get(run_id)
            except (OSError, ValueError, TypeError, NotFoundError):
                continue
            assert peer_record.path is not None
            history, times = metric_series(peer_record.path, self.metric)
            peer = policies.Peer(history, peer_record.is_final, times, run_id)
            if peer.finished:
                self._final_peers[run_id] = peer
            peers.append(peer)
        return peers


class _NoWatch:
    stop_reason: str | None = None


@contextlib.contextmanager
def watch_job(
    config: Any,
    record: RunRecord,
    sweep_id: str | None,
    metric: str,
    goal: str,
    job: int | None = None,
) -> Iterator[JobWatch | _NoWatch]:
    """Watch the run (linked to its sweep already) while the body (the compute) runs.

    The driver calls it through the ``watch`` the sweep layer hands to
    ``run_job`` (``harness.sweeps.job.SweepObserver.watch``)."""
    if not sweep_id:
        yield _NoWatch()
        return
    store = SweepStore()
    sweep = config.get("sweep")
    max_duration = sweep.get("max_duration") if sweep is not None else None
    deadline = None
    if max_duration:
        with contextlib.suppress(Exception):
            deadline = store.get(sweep_id).started_at + float(max_duration)
    watch = JobWatch(
        store, sweep_id, record, metric, goal, policy_options(sweep), deadline, max_duration
    )
    watch.start()
    try:
        yield watch
    finally:
        watch.close()
