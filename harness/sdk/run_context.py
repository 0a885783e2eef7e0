"""``harness.Run``: the in-job logging API, plus a handle on any run.

Inside a job, ``harness.Run.get_context()`` is the run the job logs through
(``harness.contract.context.Run``: ``run.log``, ``run.outputs_dir``, ...);
``harness.Run.get(run_id)`` is the Python API's handle on any run of the
workspace (``harness.sdk.Run``), as Azure ML v1's ``Run`` offers both. The logging
side belongs to the plugin contract (estimators and loggers receive it); the
handle is the Python API's, so the two meet here, above both.
"""

from __future__ import annotations

from typing import Any

from harness.contract.context import MetricEvent, OfflineRun
from harness.contract.context import Run as JobRun

__all__ = ["MetricEvent", "OfflineRun", "Run"]


class Run(JobRun):
    """``harness.Run``: ``get_context()`` (the job's run) and ``get(run_id)``."""

    @staticmethod
    def get(run_id: str, workspace: Any = None) -> Any:
        """A handle on any run of the workspace, live or finished (``harness.sdk.Run``):
        wait for it, read its metrics and files, tag it, register its models."""
        from harness.sdk.run import Run as RunHandle

        return RunHandle.get(run_id, workspace=workspace)
