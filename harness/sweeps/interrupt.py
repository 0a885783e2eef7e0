"""Ctrl-C on a sweep whose jobs run in other local processes (the joblib launcher).

The terminal's SIGINT reaches the whole process group: ``harness train -m`` and
every worker. Left alone, joblib answers it in the main process by killing its
workers at once, so their drivers never record a final status: the runs stay
``Running`` and the summary says so. Instead, while the launcher waits:

- the first Ctrl-C asks the sweep to stop (``stop.json``, the same stop that
  ``sweep.fail_fast`` uses): a running job is canceled by its driver (which got
  the SIGINT too, or its watch sees the stop), and a job not started yet records
  itself as not started; the launcher then returns normally and the sweep ends
  with ``KeyboardInterrupt`` (exit 130, sweep ``Canceled``);
- a second Ctrl-C stops waiting; what the killed workers could not record is
  settled here (``settle``): their runs ``Canceled``, their jobs not started.

SIGTERM to the sweep's process is the same stop. SIGKILL cannot be caught: each
worker process asks for SIGTERM when its parent dies (``follow_parent_out``), so its
driver cancels the run it holds, and the worker then exits (``run_sweep_job``).

A run's own ``harness runs cancel`` stops the sweep the same way (see
``harness/sweeps/job.py``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections.abc import Iterator, Sequence

from harness.run import liveness
from harness.run.record import CANCELED, RunRecord
from harness.run.store import RunStore
from harness.sweeps.store import SweepStore

#: The stop reason a user's cancel writes; jobs that had not started then say so.
USER_CANCEL = "canceled by the user"
#: Seconds to wait for the drivers of killed workers to be gone before settling.
SETTLE_WAIT_S = 5.0


@contextlib.contextmanager
def stop_on_interrupt(sweep_id: str | None) -> Iterator[None]:
    """Turn the first Ctrl-C into a sweep stop while jobs run elsewhere; raise
    ``KeyboardInterrupt`` once they have all ended (see the module docstring)."""
    if not sweep_id:
        yield
        return
    store = SweepStore()
    interrupted = False

    def on_sigint(signum: int, frame: object) -> None:
        nonlocal interrupted
        if interrupted:
            raise KeyboardInterrupt  # a second Ctrl-C: stop waiting for the jobs
        interrupted = True
        store.request_stop(sweep_id, USER_CANCEL)
        print(
            "harness: canceling the sweep: running jobs record their runs Canceled "
            "(Ctrl-C again to stop waiting)",
            file=sys.stderr,
            flush=True,
        )

    # SIGTERM (a `kill`, a scheduler) is a stop like the first Ctrl-C: it reaches this
    # process only, so the workers learn of it from stop.json (they died with -15 before).
    previous = {sig: signal.signal(sig, on_sigint) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if interrupted or store.stop_reason(sweep_id) == USER_CANCEL:
        raise KeyboardInterrupt


def settle(sweep_id: str | None, job_overrides: Sequence[Sequence[str]], first_job: int) -> None:
    """After an interrupted launch: no run of the sweep is left ``Queued`` or
    ``Running`` by a driver that is gone, and every job of the batch that never
    made a run is recorded as not started."""
    if not sweep_id:
        return
    store, runs = SweepStore(), RunStore()
    _link_orphans(store, runs, sweep_id, job_overrides, first_job)
    linked: set[int] = set()
    pending = []
    for link in store.links(sweep_id):
        if isinstance(link.get("job"), int):
            linked.add(link["job"])
        try:
            record = runs.get(str(link["run_id"]))
        except Exception:  # deleted or damaged meanwhile: nothing to settle
            continue
        if not record.is_final:
            pending.append(record)
    deadline = time.monotonic() + SETTLE_WAIT_S

    def driven_elsewhere(record: RunRecord) -> bool:
        # This process's own runs were driven by the code that just unwound.
        return bool(record.pid) and record.pid != os.getpid() and liveness.driver_alive(record)

    for record in pending:
        while driven_elsewhere(record) and time.monotonic() < deadline:
            time.sleep(0.1)
        if driven_elsewhere(record):
            continue  # its driver still runs and will record the end itself
        current = runs.get(record.id)
        if not current.is_final:
            runs.set_status(
                record.id, CANCELED, error="interrupted (Ctrl-C): its driver was stopped"
            )
    recorded = {int(u.get("job", -1)) for u in store.unstarted(sweep_id)}
    for offset, overrides in enumerate(job_overrides):
        num = first_job + offset
        if num not in linked and num not in recorded:
            store.record_not_started(sweep_id, num, overrides, USER_CANCEL)


def _link_orphans(
    store: SweepStore,
    runs: RunStore,
    sweep_id: str,
    job_overrides: Sequence[Sequence[str]],
    first_job: int,
) -> None:
    """Link the runs of this sweep that a Ctrl-C caught between their creation and
    their link (the job's watch links a run just after the driver makes it), so the
    summary counts them and their jobs are not also recorded as not started."""
    from harness.run.index import summaries

    linked = {str(link.get("run_id")) for link in store.links(sweep_id)}
    job_of = {tuple(overrides): first_job + i for i, overrides in enumerate(job_overrides)}
    sweep = store.get(sweep_id)
    records, _ = summaries(runs.root)
    for summary in records:
        if summary.sweep_id != sweep_id or summary.id in linked:
            continue
        try:
            record = runs.get(summary.id)  # the summary leaves the overrides out
        except Exception:  # deleted or damaged meanwhile: nothing to link
            continue
        store.link_run(
            sweep_id,
            record.id,
            metric=sweep.metric,
            goal=sweep.goal,
            overrides=list(record.overrides),
            job=job_of.get(tuple(record.overrides)),
        )
