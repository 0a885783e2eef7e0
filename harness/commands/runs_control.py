"""``harness runs cancel``: stop a running job through its driver.

The driver (``record.pid`` on ``record.host``) already turns SIGTERM into a clean
stop (``harness.contract.supervise``): SIGINT to the job's process group, then SIGTERM,
then SIGKILL; it then writes ``Canceled``. Going through the driver keeps one
writer of the final status and reuses the tested shutdown path.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from harness.run.store import RunStore
from harness.sdk.run import cancel_run


def add_parsers(sub: Any) -> None:
    cancel = sub.add_parser("cancel", help="stop a running job; its run becomes Canceled")
    cancel.add_argument("run_id")
    cancel.add_argument(
        "--timeout", type=float, default=60.0, help="seconds to wait for the job to stop"
    )
    cancel.add_argument("--no-wait", action="store_true", help="signal and return at once")


def cmd_cancel(store: RunStore, opts: argparse.Namespace) -> int:
    # The one cancel (harness.sdk.run.cancel_run): run.cancel() and the dashboard too.
    record, signalled = cancel_run(
        store,
        opts.run_id,
        wait=not opts.no_wait,
        timeout=opts.timeout,
        on_signal=lambda r: print(f"canceling run {r.id} (driver pid {r.pid})", file=sys.stderr),
    )
    if not signalled:
        print(f"run {record.id}: {record.status} (its driver was already gone)")
        return 0
    if opts.no_wait:
        return 0
    if record.is_final:
        print(f"run {record.id}: {record.status}")
        return 0
    print(
        f"harness: run {record.id} is still stopping after {opts.timeout:g} s; "
        "check again with `harness runs show`",
        file=sys.stderr,
    )
    return 1


ACTIONS = {"cancel": cmd_cancel}
