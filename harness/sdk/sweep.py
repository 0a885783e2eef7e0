"""Sweeps from Python: HyperDrive's parameter expressions, samplings, policies and
limits as the overrides of ``harness train -m``, and the handle of a sweep.

The mapping (the same one docs/sweeps.md gives for the command line):

- grid sampling → Hydra's basic sweeper: ``key=a,b,c`` (``choice`` only, as in v1);
- random → the Optuna sweeper with its random sampler (a space of choices only: its
  grid in random order, without repeats, as HyperDrive); Bayesian → Optuna's TPE;
- ``choice`` → ``choice(...)``, ``uniform(a, b)`` → ``interval(a, b)``,
  ``loguniform(a, b)`` (v1: ``exp(uniform(a, b))``) → ``tag(log, interval(e^a, e^b))``,
  ``randint(n)`` → ``tag(int, interval(0, n-1))``, the integers 0 … n-1; ``normal``, ``lognormal``, ``qnormal``,
  ``qlognormal``, ``quniform`` and ``qloguniform`` → ``tag(KIND, interval|range(...))``,
  sampled as v1 defined them (harness/sweeps/expressions.py);
- ``primary_metric_name``/``goal`` → ``sweep.metric``/``sweep.goal``; limits and
  policies → the ``sweep`` node.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Mapping
from typing import Any

from harness.errors import ConfigError, HarnessError
from harness.sdk import overrides as ov

# The listing lives in its own module; re-exported for the callers that know it here.
from harness.sdk.sweep_listing import list_sweeps as list_sweeps
from harness.sdk.sweep_listing import sweep_item as sweep_item
from harness.sdk.sweep_listing import sweep_summary as sweep_summary


# -- parameter expressions ------------------------------------------------------
class Expression:
    kind = ""

    def __init__(self, *args: Any) -> None:
        self.args = args

    def grid_values(self) -> list[Any]:
        raise ConfigError(
            f"{self!r}: grid sampling takes choice(...) only (as in Azure ML); "
            "use random or Bayesian sampling for ranges"
        )

    def optuna(self) -> str:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{self.kind}({', '.join(map(repr, self.args))})"


def _number(item: Any) -> str:
    return repr(float(item))


class _Choice(Expression):
    kind = "choice"

    def __init__(self, *options: Any) -> None:
        if len(options) == 1 and isinstance(options[0], (list, tuple, range)):
            options = tuple(options[0])
        if not options:
            raise ConfigError("choice() needs at least one value")
        super().__init__(*options)

    def grid_values(self) -> list[Any]:
        return list(self.args)

    def optuna(self) -> str:
        return "choice(" + ",".join(ov.value(v) for v in self.args) + ")"


class _Uniform(Expression):
    kind = "uniform"

    def optuna(self) -> str:
        low, high = self.args
        return f"interval({_number(low)},{_number(high)})"


class _LogUniform(Expression):
    kind = "loguniform"

    def optuna(self) -> str:
        low, high = self.args
        return f"tag(log,interval({_number(math.exp(low))},{_number(math.exp(high))}))"


class _RandInt(Expression):
    kind = "randint"

    def optuna(self) -> str:
        (upper,) = self.args
        # An integer interval (Hydra's bounds are floats without the int tag), ends included.
        return f"tag(int,interval(0,{int(upper) - 1}))"


class _Sampled(Expression):
    """A v1 expression that the sweeper samples through a latent float
    (harness/sweeps/expressions.py): the normal family, quniform, qloguniform."""

    def __init__(self, kind: str, *args: Any) -> None:
        from harness.sweeps.expressions import Expression as Sampled

        super().__init__(*args)
        self.kind = kind
        try:
            numbers = tuple(float(a) for a in args)
        except (TypeError, ValueError):
            raise ConfigError(f"{self!r}: give numbers") from None
        self.sampled = Sampled(kind, numbers)  # a wrong count or sigma/q ≤ 0: one line

    def optuna(self) -> str:
        return self.sampled.override()


def choice(*options: Any) -> Expression:
    return _Choice(*options)


def uniform(min_value: float, max_value: float) -> Expression:
    return _Uniform(min_value, max_value)


def loguniform(min_value: float, max_value: float) -> Expression:
    return _LogUniform(min_value, max_value)


def quniform(min_value: float, max_value: float, q: float) -> Expression:
    """``round(uniform(min_value, max_value) / q) * q``."""
    return _Sampled("quniform", min_value, max_value, q)


def qloguniform(min_value: float, max_value: float, q: float) -> Expression:
    """``round(exp(uniform(min_value, max_value)) / q) * q``."""
    return _Sampled("qloguniform", min_value, max_value, q)


def normal(mu: float, sigma: float) -> Expression:
    return _Sampled("normal", mu, sigma)


def lognormal(mu: float, sigma: float) -> Expression:
    """``exp(normal(mu, sigma))``."""
    return _Sampled("lognormal", mu, sigma)


def qnormal(mu: float, sigma: float, q: float) -> Expression:
    """``round(normal(mu, sigma) / q) * q``."""
    return _Sampled("qnormal", mu, sigma, q)


def qlognormal(mu: float, sigma: float, q: float) -> Expression:
    """``round(exp(normal(mu, sigma)) / q) * q``."""
    return _Sampled("qlognormal", mu, sigma, q)


def randint(upper: int) -> Expression:
    return _RandInt(upper)


# -- samplings ----------------------------------------------------------------------
class Sampling:
    sweeper: list[str] = []

    def __init__(self, parameter_space: Mapping[str, Any], properties: Any = None) -> None:
        if not isinstance(parameter_space, Mapping) or not parameter_space:
            raise ConfigError("a sampling needs a parameter space: {'--name': choice(...), ...}")
        self.parameter_space = dict(parameter_space)
        self.properties = properties

    def term(self, expr: Any) -> str:
        raise NotImplementedError

    def to_overrides(self, key_of: Any) -> list[str]:
        items = list(self.sweeper)
        for name, expr in self.parameter_space.items():
            if not isinstance(expr, Expression):
                expr = _Choice(expr)
            items.append(f"++{key_of(name)}={self.term(expr)}")
        return items


class GridSampling(Sampling):
    def term(self, expr: Expression) -> str:
        return ",".join(ov.value(v) for v in expr.grid_values())


class RandomSampling(Sampling):
    sweeper = ["hydra/sweeper=optuna", "hydra/sweeper/sampler=random"]
    #: A space of choices only: its grid, visited in random order (Optuna's
    #: GridSampler takes an unvisited point at random), so no configuration runs
    #: twice and a space smaller than ``max_total_runs`` gives fewer runs, as
    #: HyperDrive's random sampling did ("there may be fewer runs when the sample
    #: space is smaller"); the random sampler drew with replacement.
    choices_sweeper = ["hydra/sweeper=optuna", "hydra/sweeper/sampler=grid"]

    def term(self, expr: Expression) -> str:
        return expr.optuna()

    def to_overrides(self, key_of: Any) -> list[str]:
        items = super().to_overrides(key_of)
        space = self.parameter_space.values()
        if self.choices_sweeper and all(
            not isinstance(e, Expression) or isinstance(e, _Choice) for e in space
        ):
            items[: len(self.sweeper)] = self.choices_sweeper
        return items


class BayesianSampling(RandomSampling):
    sweeper = ["hydra/sweeper=optuna"]
    choices_sweeper: list[str] = []  # TPE's own choice, repeats included


# -- policies -----------------------------------------------------------------------
class Policy:
    name = "none"

    def __init__(self, **options: Any) -> None:
        self.options = {k: v for k, v in options.items() if v is not None}

    def to_overrides(self) -> list[str]:
        if self.name == "none":
            return []
        return [
            f"sweep.policy={self.name}",
            *(ov.assign(f"sweep.policy.{k}", v) for k, v in self.options.items()),
        ]


class BanditPolicy(Policy):
    name = "bandit"

    def __init__(
        self,
        evaluation_interval: int = 1,
        slack_factor: float | None = None,
        slack_amount: float | None = None,
        delay_evaluation: int = 0,
    ) -> None:
        super().__init__(
            evaluation_interval=evaluation_interval,
            slack_factor=slack_factor,
            slack_amount=slack_amount,
            delay_evaluation=delay_evaluation,
        )


class MedianStoppingPolicy(Policy):
    name = "median"

    def __init__(self, evaluation_interval: int = 1, delay_evaluation: int = 5) -> None:
        super().__init__(evaluation_interval=evaluation_interval, delay_evaluation=delay_evaluation)


class TruncationSelectionPolicy(Policy):
    name = "truncation"

    def __init__(
        self,
        truncation_percentage: int,
        evaluation_interval: int = 1,
        delay_evaluation: int = 0,
        exclude_finished_jobs: bool = False,
    ) -> None:
        super().__init__(
            truncation_percentage=truncation_percentage,
            evaluation_interval=evaluation_interval,
            delay_evaluation=delay_evaluation,
            exclude_finished_jobs=exclude_finished_jobs,
        )


class NoTerminationPolicy(Policy):
    name = "none"


class PrimaryMetricGoal:
    MAXIMIZE = "MAXIMIZE"
    MINIMIZE = "MINIMIZE"


# -- the sweep config ------------------------------------------------------------
class SweepConfig:
    """HyperDrive's config: a run config (script or estimator), a sampling, the
    primary metric and goal, limits and an early-termination policy."""

    is_sweep = True

    def __init__(
        self,
        run_config: Any,
        hyperparameter_sampling: Sampling,
        primary_metric_name: str | None = None,
        primary_metric_goal: str | None = None,
        max_total_runs: int | None = None,
        max_concurrent_runs: int | None = None,
        max_duration_minutes: float | None = None,
        policy: Policy | None = None,
        fail_fast: bool = False,
    ) -> None:
        if not hasattr(run_config, "sweep_key"):
            raise ConfigError(
                "a sweep's run_config must be a ScriptRunConfig or an EstimatorConfig"
            )
        if not isinstance(hyperparameter_sampling, Sampling):
            raise ConfigError(
                "hyperparameter_sampling: give a GridSampling, RandomSampling or BayesianSampling"
            )
        self.run_config = run_config
        self.sampling = hyperparameter_sampling
        self.primary_metric_name = primary_metric_name
        self.primary_metric_goal = primary_metric_goal
        self.max_total_runs = max_total_runs
        self.max_concurrent_runs = max_concurrent_runs
        self.max_duration_minutes = max_duration_minutes
        self.policy = policy
        self.fail_fast = fail_fast

    def to_overrides(self) -> list[str]:
        items = list(self.run_config.to_overrides())
        items += self.sampling.to_overrides(self.run_config.sweep_key)
        if self.primary_metric_name:
            items.append(ov.assign("sweep.metric", self.primary_metric_name))
        if self.primary_metric_goal:
            goal = str(getattr(self.primary_metric_goal, "value", self.primary_metric_goal)).lower()
            items.append(ov.assign("sweep.goal", goal))
        if self.max_total_runs is not None:
            items.append(ov.assign("sweep.max_total_runs", int(self.max_total_runs)))
        if self.max_concurrent_runs is not None:
            if int(self.max_concurrent_runs) > 1:
                items.append("hydra/launcher=joblib")
            items.append(ov.assign("sweep.max_concurrent_runs", int(self.max_concurrent_runs)))
        if self.max_duration_minutes is not None:
            items.append(ov.assign("sweep.max_duration", float(self.max_duration_minutes) * 60.0))
        if self.fail_fast:
            items.append(ov.assign("sweep.fail_fast", True))
        if self.policy is not None:
            items += self.policy.to_overrides()
        return items


# -- the handle ---------------------------------------------------------------------
def _override_key(override: str) -> str:
    """``++estimator.C=0.5`` → ``estimator.C`` (as sweep.json's search_space names it)."""
    return override.split("=", 1)[0].lstrip("+~")


class SweepRun:
    """A sweep (HyperDrive run): its children, the best run, waiting."""

    def __init__(
        self, sweep_id: str, workspace: Any = None, experiment: Any = None, config: Any = None
    ) -> None:
        from harness.sdk.workspace import Workspace
        from harness.sweeps.store import SweepStore

        self.workspace = workspace or Workspace()
        self.store = SweepStore(self.workspace.home)
        self.id = self.store.get(sweep_id).id
        self.experiment = experiment
        self.config = config

    def record(self) -> Any:
        return self.store.get(self.id)

    def get_status(self) -> str:
        return str(self.record().status)

    @property
    def status(self) -> str:
        return self.get_status()

    def get_summary(self) -> dict[str, Any]:
        return sweep_summary(self.workspace.home, self.id)

    def resume(self) -> SweepRun:
        """Continue this stopped sweep, as ``harness sweeps resume`` does (finished
        runs kept, not repeated; the study of a Bayesian sweep continued), in its own
        process tree; returns once the resumed sweep is under way. A sweep that is
        still running, or has no command to resume, raises the CLI's one-line error."""
        from harness.sdk import submit as launcher
        from harness.sweeps.resume import check_resumable

        check_resumable(self.record())  # refused here, before anything starts
        launcher.start([], self.workspace.home, subcommand=("sweeps", "resume", self.id))
        return self

    def get_details(self) -> dict[str, Any]:
        return self.get_summary()

    def is_final(self) -> bool:
        from harness.sweeps.store import RUNNING

        return self.record().status != RUNNING

    def wait_for_completion(
        self,
        show_output: bool = False,
        wait_post_processing: bool = False,
        raise_on_error: bool = True,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        from harness.sdk.follow import POLL_S

        deadline = None if timeout is None else time.monotonic() + timeout
        shown: set[str] = set()
        swept = set(self.record().search_space)
        while True:
            final = self.is_final()
            if show_output:
                for child in self.get_children():
                    if child.id not in shown and child.record().is_final:
                        shown.add(child.id)
                        record = child.record()
                        sampled = [o for o in record.overrides if _override_key(o) in swept]
                        print(
                            f"run {child.id}: {record.status} "
                            f"{' '.join(sampled or record.overrides)} {child.get_metrics()}",
                            flush=True,
                        )
            if final:
                break
            if deadline is not None and time.monotonic() > deadline:
                raise HarnessError(f"sweep {self.id} is still running after {timeout:g} s")
            time.sleep(POLL_S)
        summary = self.get_summary()
        if raise_on_error and summary["status"] != "Completed":
            from harness.sdk.run import RunFailedError

            raise RunFailedError(
                f"sweep {self.id} ended {summary['status']}: "
                f"{summary['counts']['failed']} run(s) failed"
            )
        return summary

    def get_children(self, **_: Any) -> list[Any]:
        from harness.sdk.run import Run

        links = sorted(self.store.links(self.id), key=lambda link: link["run_id"])
        return [Run(self.experiment, link["run_id"], workspace=self.workspace) for link in links]

    def get_metrics(self, name: str | None = None, recursive: bool = False) -> dict[str, Any]:
        return {child.id: child.get_metrics(name) for child in self.get_children()}

    def get_children_sorted_by_primary_metric(
        self, top: int = 0, reverse: bool = False, discard_no_metric: bool = False
    ) -> list[dict[str, Any]]:
        """Best first (``reverse`` flips it); each ``{run_id, hyperparameters,
        best_primary_metric, status}`` as in v1."""
        summary = self.get_summary()
        fixed = set(summary["fixed_overrides"])
        rows = [r for r in summary["runs"] if r["run_id"]]
        if discard_no_metric:
            rows = [r for r in rows if r["value"] is not None]
        if reverse:
            rows = rows[::-1]
        items = [
            {
                "run_id": r["run_id"],
                "hyperparameters": [o.lstrip("+") for o in r["overrides"] if o not in fixed],
                "best_primary_metric": r["value"],
                "status": r["status"],
            }
            for r in rows
        ]
        return items[:top] if top else items

    def get_best_run_by_primary_metric(
        self, include_failed: bool = True, include_canceled: bool = True, **_: Any
    ) -> Any:
        from harness.sdk.run import Run

        best = self.get_summary()["best"]
        if best is None:
            return None
        return Run(self.experiment, best["run_id"], workspace=self.workspace)

    def cancel(self) -> None:
        """Stop the sweep: jobs not started are skipped, running ones canceled."""
        from harness.sdk.run import cancel_run

        self.store.request_stop(self.id, "canceled by the user")
        for child in self.get_children():
            if not child.record().is_final:
                with contextlib.suppress(HarnessError):
                    cancel_run(child.store, child.id, wait=False)

    def __repr__(self) -> str:
        return f"SweepRun(id={self.id!r}, status={self.get_status()!r})"
