"""``harness runs cancel``: stop a running job through its driver.

The driver (``record.pid`` on ``record.host``) already turns SIGTERM into a clean
stop (``harness.job.supervise``): SIGINT to the job's process group, then SIGTERM,
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
    # The Python API's cancel (run.cancel()), with the command's waiting options.
    record = cancel_run(
        store, opts.run_id, timeout=opts.timeout, wait=not opts.no_wait, start_grace_s=0.0
    )
    if opts.no_wait or record.is_final:
        print(
            f"run {record.id}: {record.status}"
            if record.is_final
            else f"canceling run {record.id} (driver pid {record.pid})",
            file=sys.stdout if record.is_final else sys.stderr,
        )
        return 0
    print(
        f"harness: run {record.id} is still stopping after {opts.timeout:g} s; "
        "check again with `harness runs show`",
        file=sys.stderr,
    )
    return 1


ACTIONS = {"cancel": cmd_cancel}
