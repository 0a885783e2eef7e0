"""The harness's ``submitit_slurm`` launcher class (Hydra loads launchers only from
the ``hydra_plugins`` package). The sweep callback puts it in place of
hydra-submitit-launcher's ``SlurmLauncher``; the work is in ``wait.py`` (a sweep
launcher belongs to the sweep layer, above the plugin contract, so it lives here,
beside the Ray launcher, not in the ``slurm`` compute plugin). Nothing here when the ``[cluster]`` extra is
not installed."""

from __future__ import annotations

from typing import Any

try:
    from hydra_plugins.hydra_submitit_launcher.submitit_launcher import SlurmLauncher
except ImportError:  # hydra-submitit-launcher not installed: no Slurm sweeps
    SlurmLauncher = None

if SlurmLauncher is not None:

    class SlurmSweepLauncher(SlurmLauncher):  # type: ignore[misc, valid-type]
        def launch(self, job_overrides: Any, initial_job_idx: int) -> Any:
            from hydra_plugins.harness_slurm_launcher.wait import launch

            return launch(self, job_overrides, initial_job_idx)
