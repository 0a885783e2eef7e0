"""The harness's versions of Hydra's local launchers (``basic`` and ``joblib``).

The sweep callback puts them in place of the upstream classes
(``harness.sweeps.callback.WRAPPED_LAUNCHERS``); options stay the user's. They add
one thing: Ctrl-C ends every started run ``Canceled`` and records the jobs that
never started (``harness.sweeps.interrupt``), as the Slurm and Ray launchers do.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hydra._internal.core_plugins.basic_launcher import BasicLauncher


class BasicSweepLauncher(BasicLauncher):
    """Jobs run one by one in this process: the driver of the running job gets the
    KeyboardInterrupt and records its run Canceled; the rest of the batch is
    recorded as not started."""

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Any:
        from harness.sweeps import interrupt
        from harness.sweeps.store import current_sweep_id

        try:
            return super().launch(job_overrides, initial_job_idx)
        except KeyboardInterrupt:
            interrupt.settle(current_sweep_id(), job_overrides, initial_job_idx)
            raise


try:
    from hydra_plugins.hydra_joblib_launcher.joblib_launcher import JoblibLauncher
except ImportError:  # hydra-joblib-launcher not installed: no joblib sweeps
    JoblibLauncher = None

if JoblibLauncher is not None:

    class JoblibSweepLauncher(JoblibLauncher):  # type: ignore[misc, valid-type]
        """Jobs run in joblib's worker processes: the first Ctrl-C becomes a sweep
        stop, so the workers' drivers record their runs before the launcher returns.
        The batch goes out as Hydra's does, less two fixed costs per job
        (``joblib_jobs``)."""

        def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Any:
            from harness.sweeps import interrupt
            from harness.sweeps.store import current_sweep_id

            from .joblib_jobs import launch

            sweep_id = current_sweep_id()
            try:
                with interrupt.stop_on_interrupt(sweep_id):
                    return launch(self, job_overrides, initial_job_idx)
            except KeyboardInterrupt:
                interrupt.settle(sweep_id, job_overrides, initial_job_idx)
                raise
