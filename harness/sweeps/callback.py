"""The Hydra callback that turns a multirun into a harness sweep.

``on_multirun_start`` runs in the ``harness train -m`` process after Hydra
composes and *before* it instantiates the sweeper and launcher, so it can still
adjust their config:

- check the ``sweep`` node (one clear line, exit 2);
- map HyperDrive's limits onto the sweeper/launcher, or refuse them (exit 2):
  ``max_total_runs`` → Optuna ``n_trials`` (basic sweeper: refused if the grid is
  larger), ``max_concurrent_runs`` → joblib ``n_jobs`` or the Slurm job array's
  ``array_parallelism`` (basic launcher: runs one at a time anyway);
  ``max_duration`` is enforced by the jobs themselves;
- swap a launcher for the harness's subclass (``WRAPPED_LAUNCHERS``);
- set Optuna's ``direction`` from ``sweep.goal`` (or the estimator's goal);
- read the search space: HyperDrive's sampled expressions (``tag(normal, ...)``)
  need a sampling sweeper (exit 2 otherwise), and the sweep record keeps every
  parameter's expression (``search_space``);
- create the sweep record and export its id to every job (``HARNESS_SWEEP_ID``).
"""

from __future__ import annotations

import os
import socket
import sys
import time
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, open_dict, read_write

from harness import inputs
from harness.errors import ConfigError, HarnessError
from harness.job import events, session
from harness.sweeps import config as sweep_config
from harness.sweeps import current
from harness.sweeps.resume import RESUME_ENV, reopen
from harness.sweeps.store import SWEEP_ENV, SweepStore


def _hydra_override_keys(config: DictConfig) -> set[str]:
    keys = set()
    for item in config.hydra.overrides.hydra:
        keys.add(str(item).split("=", 1)[0].lstrip("+~"))
    return keys


#: Hydra launchers whose waiting the harness does itself, so that a sweep follows its
#: jobs (scheduler-ended jobs settled, Ctrl-C cancels them and records the rest as not
#: started): upstream class → the harness's subclass. Swapped in
#: ``on_multirun_start``; options stay the user's.
WRAPPED_LAUNCHERS = {
    "hydra._internal.core_plugins.basic_launcher.BasicLauncher": (
        "hydra_plugins.harness_local_launchers.BasicSweepLauncher"
    ),
    "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher": (
        "hydra_plugins.harness_local_launchers.JoblibSweepLauncher"
    ),
    "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher": (
        "hydra_plugins.harness_slurm_launcher.SlurmSweepLauncher"
    ),
}


def _kind(target: str | None) -> str:
    target = (target or "").lower()
    if "submitit" in target:
        return "submitit_slurm" if "slurm" in target else "submitit_local"
    for kind in ("optuna", "basic", "joblib", "ray"):
        if kind in target:
            return kind
    return target or "?"


def grid_size(config: DictConfig) -> int:
    """How many jobs Hydra's basic sweeper will launch for these overrides."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    params = config.hydra.sweeper.get("params") or {}
    arguments = [f"{k}={v}" for k, v in params.items()] + list(config.hydra.overrides.task)
    overrides = OverridesParser.create().parse_overrides(arguments)
    return sum(len(batch) for batch in BasicSweeper.split_arguments(overrides, None))


def search_space(config: DictConfig, sweeper: str) -> dict[str, Any]:
    """Every swept parameter, as the sweep record keeps it (harness/sweeps/expressions.py).

    The basic sweeper would enumerate a ``tag(quniform, range(...))`` as a plain
    range and ignore ``tag(normal, ...)``'s meaning: such expressions are refused
    unless a sampling sweeper (Optuna's random or TPE) reads them."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from harness.sweeps.expressions import describe_override, of_override

    params = config.hydra.sweeper.get("params") or {}
    arguments = [f"{k}={v}" for k, v in params.items()] + list(config.hydra.overrides.task)
    space: dict[str, Any] = {}
    for override in OverridesParser.create().parse_overrides(arguments):
        described = describe_override(override)
        if described is None:
            continue
        expression = of_override(override)
        if expression is not None:
            sampler = str((config.hydra.sweeper.get("sampler") or {}).get("_target_", ""))
            if sweeper != "optuna" or sampler.endswith("GridSampler"):
                raise ConfigError(
                    f"{override.input_line}: {expression} is sampled, so it needs "
                    "hydra/sweeper=optuna with the random or TPE sampler (a grid takes "
                    "choice(...) and range(...) only)"
                )
        space[override.key_or_group] = described
    return space


def apply_limits(
    config: DictConfig, sweeper: str, launcher: str, explicit: set[str], applied: dict[str, Any]
) -> None:
    if launcher == "joblib":  # joblib refuses 0 only once the launcher runs: check now
        jobs = config.hydra.launcher.get("n_jobs")
        if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs == 0):
            raise ConfigError(
                f"hydra.launcher.n_jobs={jobs}: give a number of parallel jobs ≥ 1 "
                "(or -1 for one per core)"
            )
    if sweeper == "optuna":  # n_trials=-3 made a sweep of no runs, recorded Completed
        for key in ("n_trials", "n_jobs"):
            value = config.hydra.sweeper.get(key)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 1
            ):
                raise ConfigError(f"hydra.sweeper.{key}={value}: give a whole number ≥ 1")
    sweep = config.sweep
    if sweep.get("prepare_ahead") is not None and launcher != "joblib":
        raise ConfigError(
            f"sweep.prepare_ahead applies to hydra/launcher=joblib, not {launcher}; "
            "drop it, or sweep with hydra/launcher=joblib"
        )
    total, concurrent = sweep.max_total_runs, sweep.max_concurrent_runs
    if total is not None:
        if sweeper == "optuna":
            trials = int(config.hydra.sweeper.n_trials)
            config.hydra.sweeper.n_trials = (
                min(trials, total) if "hydra.sweeper.n_trials" in explicit else total
            )
            applied["hydra.sweeper.n_trials"] = int(config.hydra.sweeper.n_trials)
        elif sweeper == "basic":
            size = grid_size(config)
            if size > total:
                raise ConfigError(
                    f"the grid has {size} combinations, more than sweep.max_total_runs={total}; "
                    "narrow the grid, raise the limit, or sample it with hydra/sweeper=optuna"
                )
        else:
            raise ConfigError(
                f"sweep.max_total_runs is not supported with the sweeper {sweeper}; "
                "set that sweeper's own budget instead"
            )
    if concurrent is not None:
        if launcher == "joblib":
            jobs = int(config.hydra.launcher.n_jobs)
            if jobs < 1 or jobs > concurrent:
                config.hydra.launcher.n_jobs = concurrent
            applied["hydra.launcher.n_jobs"] = int(config.hydra.launcher.n_jobs)
        elif launcher == "submitit_slurm":  # a job array, so many tasks at a time
            parallel = int(config.hydra.launcher.array_parallelism)
            if parallel < 1 or parallel > concurrent:
                config.hydra.launcher.array_parallelism = concurrent
            applied["hydra.launcher.array_parallelism"] = int(
                config.hydra.launcher.array_parallelism
            )
        elif launcher == "ray":
            given = config.hydra.launcher.get("max_concurrent")
            if given is None or given > concurrent:
                config.hydra.launcher.max_concurrent = concurrent
            applied["hydra.launcher.max_concurrent"] = int(config.hydra.launcher.max_concurrent)
        elif launcher != "basic":  # the basic launcher runs one job at a time
            raise ConfigError(
                f"sweep.max_concurrent_runs is not supported with the launcher {launcher}; "
                "use hydra/launcher=joblib or ray, or set that launcher's own parallelism"
            )


def _primary(config: DictConfig) -> tuple[str, str]:
    from harness.contract.manager import get_plugin_manager

    manager, name = get_plugin_manager(), str(config.estimator.name)
    estimator = manager.create("estimator", name)
    with manager.calling("estimator", name, "Estimator.primary"):
        return sweep_config.primary(config, estimator)


def apply_direction(
    config: DictConfig, explicit: set[str], applied: dict[str, Any]
) -> tuple[str, str]:
    """Optuna minimises unless told otherwise; make it follow the sweep's goal."""
    metric, goal = _primary(config)
    direction = config.hydra.sweeper.get("direction")
    if "hydra.sweeper.direction" in explicit:
        given = str(direction).rsplit(".", 1)[-1].lower()
        if given != goal:
            raise ConfigError(
                f"hydra.sweeper.direction={given} contradicts the sweep's goal ({metric}: {goal}); "
                "set only sweep.goal (the harness sets Optuna's direction from it)"
            )
    else:
        config.hydra.sweeper.direction = goal
    applied["hydra.sweeper.direction"] = goal
    return metric, goal


def prebuild_environment(config: DictConfig) -> None:
    """Build the sweep's environment once, before any job starts (jobs then find it
    built; without this, parallel jobs would queue on the build lock instead)."""
    from harness.envs import runtime as envs_runtime
    from harness.envs.build import ensure_built
    from harness.envs.errors import EnvironmentBuildError
    from harness.storage.workspace import harness_home

    resolved = envs_runtime.for_config(config, harness_home())
    if resolved is None:
        return
    try:
        ensure_built(resolved, harness_home())
    except EnvironmentBuildError as exc:
        print(f"harness: error: {exc}", file=sys.stderr)
        raise SystemExit(1) from None


class SweepCallback(Callback):
    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        try:
            sweep_config.validate(config.get("sweep"))
            inputs.experiment_name(config.get("experiment"))  # before the sweep record
            sweeper = _kind(config.hydra.sweeper.get("_target_"))
            launcher = _kind(config.hydra.launcher.get("_target_"))
            explicit = _hydra_override_keys(config)
            metric = goal = None
            applied: dict[str, Any] = {}
            space = search_space(config, sweeper)
            with read_write(config), open_dict(config):
                target = str(config.hydra.launcher.get("_target_"))
                if target in WRAPPED_LAUNCHERS:
                    config.hydra.launcher._target_ = WRAPPED_LAUNCHERS[target]
                apply_limits(config, sweeper, launcher, explicit, applied)
                if sweeper == "optuna":
                    metric, goal = apply_direction(config, explicit, applied)
                elif config.sweep.metric is not None:
                    metric, goal = _primary(config)  # a metric without its goal fails here
            prebuild_environment(config)
        except HarnessError as exc:  # a plugin's bug (Estimator.primary) included
            print(f"harness: error: {exc}", file=sys.stderr)
            events.emit("refused", message=str(exc), exit_code=2)
            raise SystemExit(2) from None
        from omegaconf import OmegaConf

        from harness.sweeps import compose_cache

        compose_cache.install()  # each shape of job composed once, not each job twice
        # Composed: from here on this process only launches (with joblib or a
        # cluster launcher, the task never runs here), so its messages (the plugins'
        # warnings, a Ctrl-C notice) go straight to stderr.
        sys.stderr.write(session.ensure().release_stderr())
        resuming = os.environ.get(RESUME_ENV)
        if resuming:  # `harness sweeps resume`: the same record goes on
            sweep = reopen(SweepStore(), resuming)
            current.drive(sweep)
            os.environ[SWEEP_ENV] = sweep.id
            events.emit("sweep_created", sweep_id=sweep.id, resumed=True)
            print(f"sweep id: {sweep.id} (resumed)", flush=True)
            return
        settings = OmegaConf.to_container(config.sweep, resolve=True)
        sweep = SweepStore().create(
            experiment=str(config.get("experiment", "default")),
            sweeper=sweeper,
            launcher=launcher,
            metric=metric or (config.sweep.get("metric")),
            goal=goal or (config.sweep.get("goal")),
            settings=settings if isinstance(settings, dict) else {},
            applied=applied,
            search_space=space,
            command=["harness", "train", *sys.argv[1:]],
            hydra_sweep_dir=str(config.hydra.sweep.dir),
            started_at=time.time(),
            pid=os.getpid(),
            host=socket.gethostname(),
            cwd=os.getcwd(),
        )
        # ``harness train`` summarises it once Hydra returns.
        current.drive(sweep)
        os.environ[SWEEP_ENV] = sweep.id
        events.emit("sweep_created", sweep_id=sweep.id, resumed=False)
        print(f"sweep id: {sweep.id}", flush=True)
        if applied:
            print("sweep settings: " + " ".join(f"{k}={v}" for k, v in applied.items()), flush=True)
