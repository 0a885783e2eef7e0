"""``harness runs cancel``: stop a running job through its driver.

The driver (``record.pid`` on ``record.host``) already turns SIGTERM into a clean
stop (``harness.job.supervise``): SIGINT to the job's process group, then SIGTERM,
then SIGKILL; it then writes ``Canceled``. Going through the driver keeps one
writer of the final status and reuses the tested shutdown path.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
import time
from typing import Any

from harness.errors import HarnessError
from harness.run.liveness import reconcile
from harness.run.record import QUEUED, RunRecord
from harness.run.store import RunStore


def add_parsers(sub: Any) -> None:
    cancel = sub.add_parser("cancel", help="stop a running job; its run becomes Canceled")
    cancel.add_argument("run_id")
    cancel.add_argument(
        "--timeout", type=float, default=60.0, help="seconds to wait for the job to stop"
    )
    cancel.add_argument("--no-wait", action="store_true", help="signal and return at once")


def request_cancel(store: RunStore, run_id: str) -> tuple[RunRecord, bool]:
    """Ask a run's driver to stop (SIGTERM); the CLI and the dashboard both call this.

    Returns the record and whether a signal was sent (False: the driver was already
    gone and the run has been reconciled to its final status)."""
    record = reconcile(store, store.get(run_id))
    if record.is_final:
        raise HarnessError(f"run {record.id} is already {record.status}; nothing to cancel")
    if record.status == QUEUED or record.pid is None:
        raise HarnessError(f"run {record.id} has not started yet; try again in a moment")
    here = socket.gethostname()
    if record.host != here:
        raise HarnessError(
            f"run {record.id} is driven from host {record.host}; run the cancel there"
        )
    try:
        os.kill(record.pid, signal.SIGTERM)
    except ProcessLookupError:
        return reconcile(store, store.get(record.id)), False
    return record, True


def cmd_cancel(store: RunStore, opts: argparse.Namespace) -> int:
    record, signalled = request_cancel(store, opts.run_id)
    if not signalled:
        print(f"run {record.id}: {record.status} (its driver was already gone)")
        return 0
    print(f"canceling run {record.id} (driver pid {record.pid})", file=sys.stderr)
    if opts.no_wait:
        return 0
    deadline = time.monotonic() + opts.timeout
    while time.monotonic() < deadline:
        record = reconcile(store, store.get(record.id))
        if record.is_final:
            print(f"run {record.id}: {record.status}")
            return 0
        time.sleep(0.2)
    print(
        f"harness: run {record.id} is still stopping after {opts.timeout:g} s; "
        "check again with `harness runs show`",
        file=sys.stderr,
    )
    return 1


ACTIONS = {"cancel": cmd_cancel}
