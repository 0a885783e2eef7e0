"""Run each job of a multirun as a Ray task on a running Ray cluster.

Each task runs the harness's task function on a Ray node, so each job's driver
(run record, compute, watch) runs there. The jobs' run records go to the same
``HARNESS_HOME`` as the sweep: on a cluster that shares a file system, or on one
machine. Where nodes share nothing, sweep with the local launchers and
``compute=ray`` instead (the drivers stay here, the jobs go to the cluster).

Submission keeps at most ``max_concurrent`` tasks in flight (``sweep.
max_concurrent_runs`` sets it); Ray queues the rest by resources anyway. Ctrl-C
cancels every task (Ray raises KeyboardInterrupt in a running one, so its driver
stops the job and records the run ``Canceled``), waits for them, and re-raises.
``setup`` joins the cluster already and starts the jobs' workers (``warm.py``).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, configure_log, filter_overrides, setup_globals
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf, open_dict

log = logging.getLogger(__name__)

#: Seconds the canceled tasks get to record their runs before the sweep ends.
CANCEL_GRACE_S = 30.0

#: How Ray forwards the jobs' output here, unless the environment says otherwise:
#: every line as the job printed it (Ray folds lines alike across tasks into one
#: "[repeated 15x across cluster]", which hides every run id but one), and no
#: colour codes (the CLI shows control characters escaped).
FORWARDING = {"RAY_DEDUP_LOGS": "0", "RAY_COLOR_PREFIX": "0"}


def run_one(
    shared: tuple[HydraContext, TaskFunction, dict[str, Any], dict[str, str]],
    sweep_config: DictConfig,
) -> JobReturn:
    """What a Ray task runs: Hydra's ``run_job`` with the harness's resolvers.
    ``shared`` (the config loader, the task function, Hydra's singletons, the
    harness's environment for the jobs) is the same for every job: the launcher
    puts it in Ray's object store once, and each task gets its own copy of it
    from there."""
    hydra_context, task_function, singleton_state, env = shared
    os.environ.update(env)  # before the harness reads any of it

    import ray
    from hydra.core.hydra_config import HydraConfig
    from hydra.core.utils import run_job

    from harness.job import config, session
    from harness.sweeps import singletons

    config.register_resolvers()
    session.ensure().app_active = True
    setup_globals()
    singletons.restore(singleton_state)
    # Which node ran the job, in the run's tags (as compute=ray records it).
    context = ray.get_runtime_context()
    with open_dict(sweep_config):
        tags = sweep_config.get("tags") or {}
        sweep_config.tags = {
            **tags,
            "ray.node_id": context.get_node_id(),
            "ray.node_ip": ray.util.get_node_ip_address(),
        }
    HydraConfig.instance().set_config(sweep_config)
    return run_job(
        hydra_context=hydra_context,
        task_function=task_function,
        config=sweep_config,
        job_dir_key="hydra.sweep.dir",
        job_subdir_key="hydra.sweep.subdir",
    )


def job_env(ray_cfg: DictConfig) -> dict[str, str]:
    """The harness's environment for the jobs (the workspace, the sweep id,
    plugins), less what the user's ``env_vars`` set in either ``runtime_env``
    (``hydra.launcher.ray.remote`` or ``.init``): theirs wins.

    It travels with the jobs' shared context, not as a ``runtime_env``: Ray
    starts a worker for each new driver as it connects, but only tasks without a
    ``runtime_env`` of their own can use it, and a sweep's first jobs would wait
    for fresh workers instead (0.3-0.7 s here; benchmarks/README.md)."""
    from harness.storage.workspace import harness_home

    env = {k: v for k, v in os.environ.items() if k.startswith("HARNESS_")}
    env["HARNESS_HOME"] = str(harness_home())
    theirs: set[str] = set()
    for part in ("remote", "init"):
        runtime_env = (ray_cfg.get(part) or {}).get("runtime_env") or {}
        theirs.update(str(name) for name in (runtime_env.get("env_vars") or {}))
    return {k: v for k, v in env.items() if k not in theirs}


def task_options(ray_cfg: DictConfig) -> dict[str, Any]:
    """Each job's ``ray.remote`` options: ``hydra.launcher.ray.remote`` as given."""
    remote = OmegaConf.to_container(ray_cfg.get("remote") or {}, resolve=True)
    assert isinstance(remote, dict)
    if not remote.get("runtime_env"):
        remote.pop("runtime_env", None)
    return {str(name): value for name, value in remote.items()}


class RayLauncher(Launcher):
    def __init__(self, ray: DictConfig, max_concurrent: int | None = None) -> None:
        self.ray_cfg = ray
        self.max_concurrent = max_concurrent
        self.hydra_context: HydraContext | None = None
        self.task_function: TaskFunction | None = None
        self.config: DictConfig | None = None
        self._task: Any = None
        self._options: dict[str, Any] = {}
        self._setup_error: Exception | None = None
        self._warming: list[Any] = []

    def setup(
        self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig
    ) -> None:
        from harness.errors import ConfigError

        self.config, self.hydra_context, self.task_function = config, hydra_context, task_function
        # Join the cluster and start the jobs' workers now (warm.py says why);
        # a refusal is raised by launch, where a sweep's errors are reported.
        try:
            options = self._prepare()
        except ConfigError as exc:
            self._setup_error = exc
            return
        try:
            self._warm(options)
        except Exception as exc:  # only a head start: the jobs start workers anyway
            log.debug(f"hydra/launcher=ray: no warm-up: {exc}")

    def _prepare(self) -> dict[str, Any]:
        """Join the cluster and make the jobs' remote function (once); its options."""
        for name, value in FORWARDING.items():  # read as Ray is imported: first
            os.environ.setdefault(name, value)
        import ray

        from harness.plugins.ray.connect import connect

        init = OmegaConf.to_container(self.ray_cfg.get("init") or {}, resolve=True)
        assert isinstance(init, dict)
        connect(
            init.pop("address", "auto"),
            "hydra/launcher=ray",
            init.get("runtime_env"),
            log_to_driver=True,
        )
        options = task_options(self.ray_cfg)
        if self._task is None or options != self._options:
            self._options = options
            try:
                self._task = ray.remote(run_one).options(**options)
            except (ValueError, TypeError) as exc:
                from harness.errors import ConfigError

                raise ConfigError(
                    f"hydra/launcher=ray: Ray rejects hydra.launcher.ray.remote: {exc}"
                ) from None
        return options

    def _warm(self, options: dict[str, Any]) -> None:
        import ray

        from . import warm

        assert self.config is not None
        width = warm.width(self.config, self.max_concurrent)
        n = warm.count(options, ray.cluster_resources(), width)
        task = ray.remote(warm.ready).options(**options)
        self._warming = warm.start(
            task, n, (self.hydra_context, self.task_function, job_env(self.ray_cfg))
        )

    def launch(
        self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int
    ) -> Sequence[JobReturn]:
        assert self.config is not None and self.hydra_context is not None
        setup_globals()
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        Path(str(self.config.hydra.sweep.dir)).mkdir(parents=True, exist_ok=True)
        if self._setup_error is not None:
            raise self._setup_error
        self._prepare()
        task = self._task
        jobs = []
        for idx, overrides in enumerate(job_overrides, start=initial_job_idx):
            log.info(f"\t#{idx} : {' '.join(filter_overrides(overrides))}")
            sweep_config = self.hydra_context.config_loader.load_sweep_config(
                self.config, list(overrides)
            )
            with open_dict(sweep_config):
                sweep_config.hydra.job.id = f"ray_{idx}"
                sweep_config.hydra.job.num = idx
            jobs.append(sweep_config)
        return self._run(task, jobs)

    def _run(self, task: Any, jobs: list[DictConfig]) -> list[JobReturn]:
        import ray
        from ray.exceptions import RuntimeEnvSetupError

        from harness.errors import ConfigError

        limit = self.max_concurrent or len(jobs)
        refs: list[Any] = [None] * len(jobs)
        results: dict[int, JobReturn] = {}
        pending = list(range(len(jobs)))
        in_flight: dict[Any, int] = {}
        # Pickled once for the sweep, not once a job (~50 ms each on a 2-core machine).
        context = ray.put(
            (
                self.hydra_context,
                self.task_function,
                Singleton.get_state(),
                job_env(self.ray_cfg),
            )
        )
        try:
            while pending or in_flight:
                while pending and len(in_flight) < limit:
                    i = pending.pop(0)
                    refs[i] = task.remote(context, jobs[i])
                    in_flight[refs[i]] = i
                done, _ = ray.wait(list(in_flight), num_returns=1, timeout=0.5)
                for ref in done:
                    i = in_flight.pop(ref)
                    try:
                        results[i] = ray.get(ref)
                    except RuntimeEnvSetupError as exc:
                        # No job of the sweep can start: the others share its options.
                        _cancel(list(in_flight))
                        raise ConfigError(runtime_env_refused(self.ray_cfg, exc)) from None
        except KeyboardInterrupt:
            _cancel(list(in_flight))
            raise
        return [results[i] for i in range(len(jobs))]


def runtime_env_refused(ray_cfg: DictConfig, exc: Any) -> str:
    """One line for a ``runtime_env`` Ray could not set up on a node: the setting
    that asked for it and the cause, the last line of Ray's report (a traceback
    from the node)."""
    remote = (ray_cfg.get("remote") or {}).get("runtime_env")
    key = "hydra.launcher.ray." + ("remote" if remote else "init") + ".runtime_env"
    told = [line.strip() for line in str(exc.error_message or "").splitlines() if line.strip()]
    cause = told[-1] if told else "Ray gave no reason"
    return f"hydra/launcher=ray: Ray could not set up the jobs' runtime_env ({key}): {cause}"


def _cancel(refs: list[Any]) -> None:
    """Cancel the tasks and give their drivers time to record the runs Canceled."""
    import ray

    for ref in refs:
        try:
            ray.cancel(ref)
        except Exception as exc:  # a finished task cannot be canceled; fine
            log.debug(f"cancel: {exc}")
    deadline = time.monotonic() + CANCEL_GRACE_S
    remaining = list(refs)
    while remaining and time.monotonic() < deadline:
        try:
            _, remaining = ray.wait(remaining, num_returns=len(remaining), timeout=1.0)
        except KeyboardInterrupt:  # a second Ctrl-C: stop waiting
            break
