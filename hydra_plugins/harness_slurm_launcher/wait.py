"""``hydra/launcher=submitit_slurm`` for harness sweeps: hydra-submitit-launcher's
``SlurmLauncher``, with the waiting done the harness's way.

The sweep callback (``harness/sweeps/callback.py``) swaps the upstream class for
``hydra_plugins.harness_slurm_launcher.SlurmSweepLauncher``, whose ``launch`` is here; the user's config and every ``hydra.launcher.*`` option stay as they
are. Submission is upstream's (one job array, ``array_parallelism`` at a time);
each array task runs the ordinary harness sweep job on its node, which records
its run in the shared workspace. What changes is the wait:

- states come from ``scontrol`` (the ``slurm`` plugin's ``scheduler.py``), not from
  submitit's ``sacct`` watcher, which never sees a job end on a cluster without
  accounting;
- a task that ends without a result (time limit, preemption, ``scancel``, node
  failure) does not abort the sweep: its run (found by its Slurm job id) ends
  ``Failed`` or ``Canceled`` with the scheduler's reason, or the job is recorded
  as not started, and the sweep goes on;
- Ctrl-C cancels every task of the array (``scancel``), waits for Slurm to end
  them, marks what is left ``Canceled`` and stops the sweep.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn
from omegaconf import OmegaConf

from harness.plugins.slurm import scheduler
from harness.plugins.slurm.settings import no_requeue

POLL_S = 1.0
#: Seconds Slurm gets to end cancelled tasks before the launcher stops waiting.
CANCEL_WAIT_S = 60.0


def launch(
    launcher: Any, job_overrides: Sequence[Sequence[str]], initial_job_idx: int
) -> Sequence[JobReturn]:
    """``Launcher.launch`` of ``hydra_plugins.harness_slurm_launcher.SlurmSweepLauncher``
    (Hydra loads launchers only from the ``hydra_plugins`` package; the work is here)."""
    return _Sweep(launcher).launch(job_overrides, initial_job_idx)


class _Sweep:
    def __init__(self, launcher: Any) -> None:
        self.launcher = launcher
        self.config = launcher.config

    def launch(
        self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int
    ) -> Sequence[JobReturn]:
        import submitit

        assert self.config is not None
        executor = self._executor(submitit)
        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        job_params = []
        for offset, overrides in enumerate(job_overrides):
            num = initial_job_idx + offset
            job_params.append(
                (
                    list(overrides),
                    "hydra.sweep.dir",
                    num,
                    f"job_id_for_{num}",
                    Singleton.get_state(),
                )
            )
        from harness.sweeps.job import REMOTE_ENV

        os.environ[REMOTE_ENV] = "1"  # exported to the jobs by sbatch; see harness/sweeps/job.py
        try:
            jobs = executor.map_array(self.launcher, *zip(*job_params, strict=True))
        except Exception as exc:  # submitit's FailedJobError carries sbatch's stderr
            from harness.errors import HarnessError

            raise HarnessError(
                f"Slurm rejected the sweep's jobs: {scheduler.rejection_reason(str(exc))}"
            ) from None
        array_id = str(jobs[0].job_id).split("_")[0]
        print(f"slurm jobs: {len(jobs)} in array {array_id} (squeue -j {array_id})", flush=True)
        waiting = {i: job for i, job in enumerate(jobs)}
        results: dict[int, JobReturn] = {}
        try:
            while waiting:
                states = scheduler.array_states(array_id)
                for i, job in list(waiting.items()):
                    state = states.get(str(job.job_id))
                    outcome = self._outcome(job, state, job_overrides[i], initial_job_idx + i)
                    if outcome is not None:
                        results[i] = outcome
                        del waiting[i]
                if waiting:
                    time.sleep(POLL_S)
        except KeyboardInterrupt:
            self._cancel(array_id, jobs, job_overrides, initial_job_idx)
            raise
        return [results[i] for i in range(len(jobs))]

    def _executor(self, submitit: Any) -> Any:
        """The executor upstream's ``launch`` builds, from ``hydra.launcher.*``."""
        from hydra_plugins.hydra_submitit_launcher.config import BaseQueueConf

        params = dict(self.launcher.params)
        # A preempted task must end (and its run with it), not start over: see no_requeue.
        params["additional_parameters"] = no_requeue(
            dict(params.get("additional_parameters") or {})
        )
        init = {"folder": params.pop("submitit_folder")}
        if "max_num_timeout" in params:
            init[f"{self.launcher._EXECUTOR}_max_num_timeout"] = params.pop("max_num_timeout")
        cluster = self.launcher._EXECUTOR
        executor = submitit.AutoExecutor(cluster=cluster, **init)
        base = set(OmegaConf.structured(BaseQueueConf).keys())
        executor.update_parameters(
            **{k if k in base else f"{cluster}_{k}": v for k, v in params.items()}
        )
        return executor

    def _outcome(
        self, job: Any, state: scheduler.JobState | None, overrides: Sequence[str], num: int
    ) -> JobReturn | None:
        """The job's JobReturn once it has ended; None while it runs."""
        has_result = job.paths.result_pickle.exists()
        if state is None and not has_result:
            state = scheduler.job_state(job.job_id)  # a task the array listing no longer shows
        if state is not None and not state.final:
            return None  # still running (or writing its result and exiting)
        if state is None and not has_result:
            return None
        for _ in range(10):  # ended: the result file may lag on a shared file system
            if has_result or state is None or state.state == "COMPLETED":
                break
            time.sleep(0.5)
            has_result = job.paths.result_pickle.exists()
        from harness.sweeps.job import empty_return

        if state is not None and state.final and state.state != "COMPLETED":
            # The scheduler ended it (or it died without a word): its run cannot have
            # said so itself. Settle it with Slurm's reason.
            reason = state.describe(str(job.job_id))
            _settle_runs(str(job.job_id), num, list(overrides), state.state, reason)
            print(f"job #{num} (slurm {job.job_id}): {reason}", file=sys.stderr, flush=True)
        return _unpickle_result(job, overrides) if has_result else empty_return(overrides)

    def _cancel(
        self, array_id: str, jobs: Sequence[Any], overrides: Sequence[Sequence[str]], first: int
    ) -> None:
        print(
            f"cancelling slurm jobs of array {array_id} (scancel)...", file=sys.stderr, flush=True
        )
        from harness.sweeps.store import SweepStore, current_sweep_id

        sweep_id = current_sweep_id()
        if sweep_id:
            SweepStore().request_stop(sweep_id, "canceled by the user")
        scheduler.cancel(array_id)
        deadline = time.monotonic() + CANCEL_WAIT_S
        pending = list(enumerate(jobs))
        while pending and time.monotonic() < deadline:
            still = []
            for i, job in pending:
                state = scheduler.job_state(job.job_id)
                if state is not None and not state.final:
                    still.append((i, job))
                    continue
                _settle_runs(
                    str(job.job_id),
                    first + i,
                    list(overrides[i]),
                    "CANCELLED",
                    "canceled by the user; slurm job cancelled (scancel)",
                    user=True,
                )
            pending = still
            if pending:
                time.sleep(0.5)


def _unpickle_result(job: Any, overrides: Sequence[str]) -> JobReturn:
    from submitit.core.utils import pickle_load

    from harness.sweeps.job import empty_return

    outcome, value = pickle_load(job.paths.result_pickle)
    if outcome == "success":
        return value
    # The task function raised on the node (harness's own sweep job never does, but
    # Hydra's set-up could): a failed job that does not stop the sweep.
    print(f"slurm job {job.job_id} raised:\n{value}", file=sys.stderr, flush=True)
    return empty_return(overrides)


def _settle_runs(
    job_id: str, num: int, overrides: list[str], state: str, reason: str, user: bool = False
) -> None:
    """Give the sweep's runs of this Slurm job a final status, or record the job as
    not started: the scheduler ended it, so nothing on the node could."""
    from harness.run.record import CANCELED, FAILED
    from harness.run.store import RunStore
    from harness.sweeps.store import SweepStore, current_sweep_id

    sweep_id = current_sweep_id()
    if not sweep_id:
        return
    sweeps, runs = SweepStore(), RunStore()
    status = CANCELED if user or state in ("CANCELLED", "PREEMPTED") else FAILED
    found = False
    for link in sweeps.links(sweep_id):
        try:
            record = runs.get(str(link["run_id"]))
        except Exception:
            continue
        if record.extra.get("slurm_job_id") != job_id:
            continue
        found = True
        # Not final: the driver was killed with its job. Canceled on the node: the
        # driver saw only a SIGTERM; Slurm knows why (time limit, scancel, preemption).
        if not record.is_final or (record.status == CANCELED and not user):
            runs.set_status(record.id, status, error=reason)
    already = any(int(u.get("job", -1)) == num for u in sweeps.unstarted(sweep_id))
    if not found and not already:
        sweeps.record_unstarted(
            sweep_id, num, overrides=overrides, status=status, error=f"not started: {reason}"
        )


__all__ = ["launch"]
