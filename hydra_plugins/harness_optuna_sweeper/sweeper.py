"""The sweeper: ask a batch of trials, launch them, tell Optuna their values.

The study lives in the sweep's folder (``$HARNESS_HOME/sweeps/<id>/optuna.journal``,
Optuna's JournalStorage: an append-only file, safe without a database server)
unless ``hydra.sweeper.storage`` names another. Its name is the sweep id. So a
sweep continued by ``harness sweeps resume`` finds its finished trials there:
they are kept and not asked again, the remaining trials are asked with the
sampler's full history (TPE goes on learning), and trials that were running
when the sweep died are asked again with the same parameters.
"""

from __future__ import annotations

import functools
import logging
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hydra.core.plugins import Plugins
from hydra.core.utils import JobReturn, JobStatus
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf

from hydra_plugins.harness_optuna_sweeper import search_space

if TYPE_CHECKING:  # Hydra imports every hydra_plugins module at start-up: optuna only here
    import optuna

log = logging.getLogger(__name__)

JOURNAL_FILE = "optuna.journal"
#: Set on a trial whose job never reported (the sweep died or was interrupted).
INTERRUPTED_ATTR = "harness_interrupted"
#: Set on the trial that repeats an interrupted one (its number).
REDO_OF_ATTR = "harness_redo_of"
#: The sweep's job number of a trial's run (``harness sweeps resume`` matches on it).
JOB_ATTR = "harness_job"
#: The values a trial's job got for parameters sampled through a latent float.
VALUES_ATTR = "harness_values"


def _trial_state() -> Any:
    """Optuna's TrialState, imported when a sweep runs (not when Hydra scans plugins)."""
    from optuna.trial import TrialState

    return TrialState


def _direction(direction: Any) -> str:
    return str(getattr(direction, "name", direction)).rsplit(".", 1)[-1].lower()


class OptunaSweeper(Sweeper):
    def __init__(
        self,
        sampler: Any,
        direction: Any = "minimize",
        storage: str | None = None,
        study_name: str | None = None,
        n_trials: int = 20,
        n_jobs: int = 2,
        params: DictConfig | None = None,
    ) -> None:
        self.sampler_cfg = sampler
        self.direction = _direction(direction)
        self.storage, self.study_name = storage, study_name
        self.n_trials, self.n_jobs = int(n_trials), max(1, int(n_jobs))
        self.params = params
        self.config: DictConfig | None = None
        self.launcher: Any = None
        self.job_idx = 0
        #: Parameters sampled through a latent float (HyperDrive's normal family,
        #: quniform, qloguniform): key → expression (search_space.sampled).
        self.sampled: dict[str, Any] = {}

    def setup(
        self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig
    ) -> None:
        self.config = config
        self.launcher = Plugins.instance().instantiate_launcher(
            config=config, hydra_context=hydra_context, task_function=task_function
        )

    def _study(self, space: dict[str, Any]) -> optuna.study.Study:
        import optuna

        from harness.sweeps.store import SweepStore, current_sweep_id

        sweep_id = current_sweep_id()
        storage: Any = self.storage
        if storage is None and sweep_id:
            path = SweepStore().folder(sweep_id) / JOURNAL_FILE
            storage = optuna.storages.JournalStorage(
                optuna.storages.journal.JournalFileBackend(str(path))
            )
        # Hydra instantiated the sampler already; the grid sampler comes as a partial
        # (_partial_: true) because it needs the search space first.
        sampler = self.sampler_cfg
        if isinstance(sampler, functools.partial):
            grid = search_space.grid_choices(space)
            sampler = sampler(search_space=grid)
            self.n_trials = min(self.n_trials, math.prod(len(v) for v in grid.values()))
            # The grid's own end (study.stop() once every point was told) works only
            # inside study.optimize; on this ask/tell loop it raised before the last
            # trial's value was stored. n_trials, capped above, ends the sweep instead.
            sampler.after_trial = lambda *args, **kwargs: None
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        return optuna.create_study(
            study_name=self.study_name or sweep_id,
            storage=storage,
            sampler=sampler,
            direction=self.direction,
            load_if_exists=True,
        )

    def sweep(self, arguments: list[str]) -> None:
        assert self.config is not None and self.launcher is not None
        params = [f"{k}={v}" for k, v in (self.params or {}).items()]
        space, fixed = search_space.from_overrides(params + list(arguments))
        for name in fixed:
            space.pop(name, None)
        self.sampled = search_space.sampled(params + list(arguments))
        study = self._study(space)
        redo = _interrupted(study)
        done = sum(1 for t in study.trials if t.state.is_finished() and not _was_interrupted(t))
        # An interrupted batch may hold jobs that did finish: their runs count.
        for item in list(redo):
            if done < self.n_trials and _replay(study, space, fixed, self.sampled, *item):
                redo.remove(item)
                done += 1
        if done or redo:
            print(
                f"optuna: {done} finished trials kept, {len(redo)} interrupted ones asked again",
                flush=True,
            )
        self.job_idx = len(study.trials)
        to_go = self.n_trials - done
        while to_go > 0:
            batch = min(to_go, self.n_jobs)
            trials = []
            for _ in range(batch):
                if redo:
                    number, params, _ = redo.pop(0)
                    _ask_again(study, number, params)
                trials.append(study.ask(fixed_distributions=space))
            overrides = [_overrides(trial.params, fixed, self.sampled) for trial in trials]
            for number, trial in enumerate(trials, start=self.job_idx):
                trial.set_user_attr(JOB_ATTR, number)  # the sweep's job number of its run
                if self.sampled:  # the study holds latent samples; keep what the job got
                    trial.set_user_attr(VALUES_ATTR, _job_values(trial.params, self.sampled))
            try:
                returns = self.launcher.launch(overrides, initial_job_idx=self.job_idx)
            except BaseException:
                for trial in trials:  # the journal must not keep them RUNNING forever
                    _mark_interrupted(study, trial)
                raise
            self.job_idx += len(returns)
            for trial, ret in zip(trials, returns, strict=True):
                _tell(study, trial, ret)
            to_go -= batch
        self._save_results(study)

    def _save_results(self, study: optuna.study.Study) -> None:
        assert self.config is not None
        completed = [t for t in study.trials if t.state == _trial_state().COMPLETE]
        if not completed:
            return
        best = study.best_trial
        params = search_space.values(best.params, self.sampled)
        log.info(f"Best parameters: {params}  Best value: {best.value}")
        OmegaConf.save(
            OmegaConf.create({"name": "optuna", "best_params": params, "best_value": best.value}),
            Path(str(self.config.hydra.sweep.dir)) / "optimization_results.yaml",
        )


def _tell(study: optuna.study.Study, trial: optuna.trial.Trial, ret: JobReturn) -> None:
    """A job that did not complete (or returned no metric) is a failed trial."""
    value = ret._return_value if ret.status == JobStatus.COMPLETED else None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        study.tell(trial, state=_trial_state().FAIL)
        return
    study.tell(trial, number)


def _mark_interrupted(study: optuna.study.Study, trial: optuna.trial.Trial) -> None:
    try:
        trial.set_user_attr(INTERRUPTED_ATTR, True)
        study.tell(trial, state=_trial_state().FAIL)
    except Exception as exc:  # a second Ctrl-C or a told trial: the resume copes
        log.debug(f"could not mark trial {trial.number}: {exc}")


def _was_interrupted(trial: optuna.trial.FrozenTrial) -> bool:
    return bool(trial.user_attrs.get(INTERRUPTED_ATTR))


def _interrupted(study: optuna.study.Study) -> list[tuple[int, dict[str, Any], int | None]]:
    """(trial number, parameters, job number) of the trials whose jobs never
    reported and that no later trial repeats yet: marked by a Ctrl-C, or still
    RUNNING after a crash (those are marked now), oldest first."""
    trials = study.get_trials(deepcopy=False)
    repeated = {t.user_attrs.get(REDO_OF_ATTR) for t in trials}
    redo = []
    for trial in trials:
        if trial.state == _trial_state().RUNNING:
            study._storage.set_trial_user_attr(trial._trial_id, INTERRUPTED_ATTR, True)
            study._storage.set_trial_state_values(trial._trial_id, _trial_state().FAIL)
        elif not (trial.state == _trial_state().FAIL and _was_interrupted(trial)):
            continue
        if trial.number not in repeated:
            redo.append((trial.number, dict(trial.params), trial.user_attrs.get(JOB_ATTR)))
    return redo


def _overrides(
    params: dict[str, Any], fixed: dict[str, str], sampled: dict[str, Any]
) -> tuple[str, ...]:
    values = search_space.values(params, sampled)
    return tuple(f"{k}={v}" for k, v in {**_texts(values, sampled), **fixed}.items())


def _texts(values: dict[str, Any], sampled: dict[str, Any]) -> dict[str, Any]:
    """Sampled values in one spelling (ints stay ints; floats by repr)."""
    from harness.sweeps.expressions import format_value

    return {k: format_value(v) if k in sampled else v for k, v in values.items()}


def _job_values(params: dict[str, Any], sampled: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in search_space.values(params, sampled).items() if k in sampled}


def _replay(
    study: optuna.study.Study,
    space: dict[str, Any],
    fixed: dict[str, str],
    sampled: dict[str, Any],
    number: int,
    params: dict[str, Any],
    job: int | None,
) -> bool:
    """Tell Optuna the outcome of an interrupted trial whose run finished anyway."""
    from harness.sweeps import resume
    from harness.sweeps.store import SweepStore, current_sweep_id

    sweep_id = current_sweep_id()
    if job is None or not sweep_id:
        return False
    store = SweepStore()
    kept = resume.kept_run(store, sweep_id, int(job), list(_overrides(params, fixed, sampled)))
    if kept is None:
        return False
    _ask_again(study, number, params)
    trial = study.ask(fixed_distributions=space)
    trial.set_user_attr(JOB_ATTR, int(job))
    links = {link.get("run_id"): link for link in store.links(sweep_id)}
    value = kept.metrics.get((links.get(kept.id) or {}).get("metric") or "")
    if kept.status == "Completed" and isinstance(value, (int, float)):
        study.tell(trial, float(value))
    else:
        study.tell(trial, state=_trial_state().FAIL)
    print(f"optuna: trial {trial.number} kept run {kept.id} ({kept.status})", flush=True)
    return True


def _ask_again(study: optuna.study.Study, number: int, params: dict[str, Any]) -> None:
    """Queue the parameters of trial ``number`` again; the next ``ask`` takes them."""
    study.enqueue_trial(params, user_attrs={REDO_OF_ATTR: number}, skip_if_exists=False)
