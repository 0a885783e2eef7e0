"""The joblib launcher's batch, without two fixed costs per job.

``hydra_joblib_launcher._core.launch`` hands every job its own pickled copy of the
launcher's context (the config loader, the primary config, the task function and
Hydra's singletons: ~30 ms a job in the sweep's process), and its ``execute_job``
restores the singletons with ``Singleton.set_state``, which scans every Hydra
plugin package again (~50 ms a job in the worker). Here the context is pickled once
per batch and each job unpickles a fresh copy of it, as before (no state crosses
from one job to the next); the worker scans the plugin packages once: the result
depends only on the installed packages, which a sweep does not change. And the job's
``HydraConfig`` is set once, by ``run_job``, not also just before it.
Everything else is Hydra's: the same ``run_job``, the same job id and number, the
same loky backend and options.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, configure_log, filter_overrides, run_job, setup_globals
from omegaconf import open_dict

from harness.sweeps import singletons

log = logging.getLogger(__name__)


def execute_job(
    idx: int, overrides: Sequence[str], shared: bytes, slots_path: str | None = None
) -> JobReturn:
    """One job in a loky worker: ``hydra_joblib_launcher._core.execute_job``."""
    from harness.sweeps import slots

    slots.use(slots_path)
    hydra_context, config, task_function, singleton_state = pickle.loads(shared)
    setup_globals()
    singletons.restore(singleton_state)
    sweep_config = hydra_context.config_loader.load_sweep_config(config, list(overrides))
    with open_dict(sweep_config):
        sweep_config.hydra.job.id = f"{sweep_config.hydra.job.name}_{idx}"
        sweep_config.hydra.job.num = idx
    # Hydra's execute_job sets HydraConfig here too; run_job sets it again from the
    # same config before anything reads it (a masked deep copy, ~4 ms a job).
    return run_job(
        hydra_context=hydra_context,
        config=sweep_config,
        task_function=task_function,
        job_dir_key="hydra.sweep.dir",
        job_subdir_key="hydra.sweep.subdir",
    )


def _options(launcher: Any) -> tuple[dict[str, Any], int]:
    """The batch's ``Parallel`` options as Hydra's launcher makes them from the
    user's (a copy: a batch made ready ahead asks for more workers, and the next
    batch must not find them in the launcher's settings), less the backend, which is
    always loky (``_loky``), and how many jobs run at once."""
    from hydra_plugins.hydra_joblib_launcher._core import process_joblib_cfg
    from joblib import effective_n_jobs

    options = dict(launcher.joblib)
    options.pop("backend", None)  # as Hydra's: the threading backend cannot run Hydra jobs
    process_joblib_cfg(options)
    return options, effective_n_jobs(options.get("n_jobs"))


@contextlib.contextmanager
def _loky(at_once: int) -> Iterator[None]:
    """Hydra's backend, with the jobs' thread pools sized for the jobs that run at
    once: joblib sizes them (OMP_NUM_THREADS and the like, cores // workers) for
    its workers, which with jobs made ready ahead outnumber those that run. Where
    the user set one of those variables, joblib keeps the user's values."""
    from joblib import cpu_count, parallel_config
    from joblib.parallel import BACKENDS

    chosen = any(var in os.environ for var in BACKENDS["loky"].MAX_NUM_THREADS_VARS)
    threads = None if chosen else max(cpu_count() // at_once, 1)
    with parallel_config(backend="loky", inner_max_num_threads=threads):
        yield


def launch(
    launcher: Any, job_overrides: Sequence[Sequence[str]], initial_job_idx: int
) -> Sequence[JobReturn]:
    """``hydra_joblib_launcher._core.launch`` with the context pickled once."""
    import cloudpickle
    from joblib import Parallel, delayed

    from harness.sweeps.job import empty_return, not_started

    setup_globals()
    assert launcher.config is not None
    assert launcher.task_function is not None
    assert launcher.hydra_context is not None

    configure_log(launcher.config.hydra.hydra_logging, launcher.config.hydra.verbose)
    sweep_dir = Path(str(launcher.config.hydra.sweep.dir))
    sweep_dir.mkdir(parents=True, exist_ok=True)

    options, at_once = _options(launcher)
    log.info(
        "Joblib.Parallel({}) is launching {} jobs".format(
            ",".join([f"{k}={v}" for k, v in {**options, "backend": "loky"}.items()]),
            len(job_overrides),
        )
    )
    log.info(f"Launching jobs, sweep output dir : {sweep_dir}")
    for idx, overrides in enumerate(job_overrides):
        log.info("\t#{} : {}".format(idx, " ".join(filter_overrides(overrides))))

    shared = cloudpickle.dumps(
        (
            launcher.hydra_context,
            launcher.config,
            launcher.task_function,
            Singleton.get_state(),
        )
    )
    skipped: list[JobReturn] = []

    def dispatched(slots_path: str | None) -> Iterator[Any]:
        """The batch's jobs as joblib asks for them; none once the sweep stopped."""
        for idx, overrides in enumerate(job_overrides):
            if not_started(launcher.config, initial_job_idx + idx, job_overrides[idx:]):
                skipped.extend(empty_return(rest) for rest in job_overrides[idx:])
                return
            yield delayed(execute_job)(initial_job_idx + idx, overrides, shared, slots_path)

    with (
        _slotted(options, at_once, len(job_overrides), launcher.config) as slots_path,
        _loky(at_once),
    ):
        runs = Parallel(**options)(dispatched(slots_path))
    assert isinstance(runs, list)
    for run in runs:
        assert isinstance(run, JobReturn)
    return [*runs, *skipped]


@contextlib.contextmanager
def _slotted(options: dict[str, Any], at_once: int, jobs: int, config: Any) -> Iterator[str | None]:
    """More workers than jobs at once, sharing ``at_once`` slots
    (``harness.sweeps.slots``): the workers make their next jobs ready while the
    slots' jobs run. Yield the slots' FIFO, or None where nothing waits for a slot."""
    from harness.sweeps import slots

    ahead = slots.ahead(config.get("sweep"), at_once, jobs)
    if ahead == 0 or jobs <= at_once:
        yield None
        return
    options["n_jobs"] = min(jobs, at_once + ahead)
    with slots.SlotPool(at_once) as pool:
        yield pool.path
