"""An interactive run: recorded and logged from the calling process itself
(Azure ML v1's ``experiment.start_logging()``), without a job.

The run's driver is this process (its pid in the record), so if the notebook
kernel dies before ``complete()`` the stale-run check marks it ``Failed``.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from typing import Any

from harness.contract.jobspec import JobSpec
from harness.run import provenance
from harness.run.record import FINAL_STATUSES, RUNNING
from harness.run.store import RunStore, now_iso


def start_interactive(experiment: Any, snapshot_directory: Any = None) -> tuple[Any, Any]:
    from harness.contract.context import Run as Context
    from harness.sdk.run import Run as Handle

    home = experiment.workspace.home
    store = RunStore(home)
    source = Path(str(snapshot_directory or os.getcwd())).resolve()
    record = store.create(
        experiment=experiment.name,
        estimator="interactive",
        compute="local",
        params={},
        overrides=[],
        tags={},
        provenance=provenance.collect(source, (), list(sys.argv)),
        sweep_id=None,
    )
    assert record.path is not None
    spec = JobSpec(
        run_id=record.id,
        run_dir=str(record.path),
        experiment=record.experiment,
        estimator="interactive",
        compute="local",
        params={},
        workdir=str(record.path),
    )
    spec.save()
    store.set_status(
        record.id, RUNNING, started=now_iso(), pid=os.getpid(), host=socket.gethostname()
    )
    context = Context(spec)
    return Handle(experiment, record.id, workspace=experiment.workspace), context


def finish(handle: Any, context: Any, status: str, error: str = "") -> None:
    """Flush the logs and write the final status (once; later calls do nothing)."""
    if context is not None:
        context.close(status)
    record = handle.record()
    if record.status not in FINAL_STATUSES:
        handle.store.set_status(record.id, status, error=error or None)
