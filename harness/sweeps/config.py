"""The ``sweep`` config node: primary metric, goal, policy, limits.

Policies are a Hydra config group (``sweep/policy``) of structured configs, so
their parameters are typed. Users write ``sweep.policy=bandit``; the CLI rewrites
that to the group override ``+sweep/policy=bandit`` (see ``normalize_overrides``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

from harness.errors import ConfigError

if TYPE_CHECKING:
    from harness.contract.components import Estimator

# OmegaConf needs typing.Optional in structured configs.
# ruff: noqa: UP045

GOALS = ("maximize", "minimize")
POLICY_GROUP = "sweep/policy"


@dataclass
class PolicyConfig:
    name: str = "none"
    #: Evaluate at every N-th report of the primary metric.
    evaluation_interval: int = 1
    #: Skip the first N reports before the first evaluation.
    delay_evaluation: int = 0


@dataclass
class BanditPolicyConfig(PolicyConfig):
    name: str = "bandit"
    #: Allowed ratio to the best run: stop if value < best / (1 + slack_factor) (maximize).
    slack_factor: Optional[float] = None
    #: Allowed absolute distance to the best run (instead of slack_factor).
    slack_amount: Optional[float] = None


@dataclass
class MedianPolicyConfig(PolicyConfig):
    name: str = "median"


@dataclass
class TruncationPolicyConfig(PolicyConfig):
    name: str = "truncation"
    #: Share of the runs, lowest first, stopped at each evaluation (1-99).
    truncation_percentage: int = 10
    #: Compare only with runs that are still running.
    exclude_finished_jobs: bool = False


@dataclass
class AshaPolicyConfig(PolicyConfig):
    """Asynchronous successive halving (harness/sweeps/asha.py); counts reports of
    the primary metric. evaluation_interval and delay_evaluation do not apply."""

    name: str = "asha"
    #: Reports before the first rung (no run is stopped earlier).
    grace_period: int = 1
    #: η: each rung keeps about the best 1/η of the runs that reach it.
    reduction_factor: float = 4.0
    #: Reports of the longest run: the last rung is at most this.
    max_t: int = 100
    #: Brackets of asynchronous HyperBand (1: plain ASHA).
    brackets: int = 1


@dataclass
class HyperbandPolicyConfig(AshaPolicyConfig):
    """Asynchronous HyperBand: ASHA over several brackets with staggered first rungs."""

    name: str = "hyperband"
    brackets: int = 3


POLICIES: dict[str, type[PolicyConfig]] = {
    "bandit": BanditPolicyConfig,
    "median": MedianPolicyConfig,
    "truncation": TruncationPolicyConfig,
    "asha": AshaPolicyConfig,
    "hyperband": HyperbandPolicyConfig,
}


@dataclass
class SweepConfig:
    """HyperDrive's settings, for ``harness train -m``. Ignored by a single run."""

    #: The primary metric; default: the estimator's (sklearn: accuracy or r2).
    metric: Optional[str] = None
    #: maximize | minimize; default: the estimator's goal for its metric.
    goal: Optional[str] = None
    #: Early termination: none, or a node from the sweep/policy group.
    policy: Any = None
    #: Stop the sweep at the first failed run (default: run every job, report at the end).
    fail_fast: bool = False
    max_total_runs: Optional[int] = None
    max_concurrent_runs: Optional[int] = None
    #: Seconds for the whole sweep; running jobs are canceled, later ones not started.
    max_duration: Optional[float] = None
    #: hydra/launcher=joblib: jobs made ready (their runs Queued) while as many as
    #: n_jobs run, so each starts the moment a job ends; default: n_jobs; 0: none.
    prepare_ahead: Optional[int] = None


def register() -> None:
    """Add the typed ``sweep`` node to the train config's schema, and the policy
    options to Hydra's ConfigStore (group ``sweep/policy``)."""
    from hydra.core.config_store import ConfigStore

    from harness.job.config import add_section

    add_section("sweep", SweepConfig)
    store = ConfigStore.instance()
    for name, node in POLICIES.items():
        store.store(group=POLICY_GROUP, name=name, node=node, package="sweep.policy")


_POLICY_OVERRIDE = re.compile(r"^(\+{0,2})sweep(?:\.|/)policy=(.*)$")


def normalize_overrides(args: list[str]) -> list[str]:
    """``sweep.policy=bandit`` (or ``+sweep/policy=bandit``) → ``+sweep/policy=bandit``.

    ``sweep.policy=none`` (or ``null``) drops the policy. An unknown name is one clear
    error before Hydra composes.
    """
    result = []
    for arg in args:
        match = _POLICY_OVERRIDE.match(arg)
        if not match:
            result.append(arg)
            continue
        name = match.group(2).strip()
        if name in ("none", "null", ""):
            continue
        if name not in POLICIES:
            raise ConfigError(
                f"unknown sweep.policy '{name}'. Available: {', '.join(POLICIES)}, none"
            )
        result.append(f"+{POLICY_GROUP}={name}")
    return result


def policy_options(sweep: Any) -> dict[str, Any] | None:
    """The policy node as a plain dict, or None when no policy is set."""
    from omegaconf import DictConfig, OmegaConf

    node = sweep.get("policy") if sweep is not None else None
    if node is None:
        return None
    if isinstance(node, DictConfig):
        node = OmegaConf.to_container(node, resolve=True)
    if not isinstance(node, dict) or node.get("name", "none") == "none":
        return None
    return dict(node)


def validate(sweep: Any) -> None:
    """Values Hydra's types cannot express; raise ``ConfigError``."""
    if sweep is None:
        return
    goal = sweep.get("goal")
    if goal is not None and goal not in GOALS:
        raise ConfigError(f"sweep.goal must be maximize or minimize, got '{goal}'")
    for key in ("max_total_runs", "max_concurrent_runs", "max_duration"):
        value = sweep.get(key)
        if value is not None and value <= 0:
            raise ConfigError(f"sweep.{key} must be a positive number, got {value}")
    ahead = sweep.get("prepare_ahead")
    if ahead is not None and ahead < 0:
        raise ConfigError(
            f"sweep.prepare_ahead must be 0 (make no job ready ahead) or more, got {ahead}"
        )
    policy = policy_options(sweep)
    if policy is None:
        return
    name = policy["name"]
    if policy.get("evaluation_interval", 1) < 1 or policy.get("delay_evaluation", 0) < 0:
        raise ConfigError(
            f"sweep.policy ({name}): evaluation_interval must be ≥ 1 and delay_evaluation ≥ 0"
        )
    if name == "bandit":
        factor, amount = policy.get("slack_factor"), policy.get("slack_amount")
        if (factor is None) == (amount is None):
            raise ConfigError(
                "the bandit policy needs exactly one of sweep.policy.slack_factor "
                "or sweep.policy.slack_amount (e.g. sweep.policy.slack_factor=0.1)"
            )
        if (factor is not None and factor < 0) or (amount is not None and amount < 0):
            raise ConfigError("sweep.policy.slack_factor / slack_amount must not be negative")
    if name == "truncation" and not 1 <= policy.get("truncation_percentage", 10) <= 99:
        raise ConfigError("sweep.policy.truncation_percentage must be between 1 and 99")
    if name in ("asha", "hyperband"):
        _validate_asha(policy)


def _validate_asha(policy: dict[str, Any]) -> None:
    name = policy["name"]
    if policy.get("evaluation_interval", 1) != 1 or policy.get("delay_evaluation", 0) != 0:
        raise ConfigError(
            f"sweep.policy ({name}) decides at its rungs: use sweep.policy.grace_period "
            "and sweep.policy.reduction_factor, not evaluation_interval/delay_evaluation"
        )
    grace, max_t = policy.get("grace_period", 1), policy.get("max_t", 100)
    if grace < 1 or max_t < grace:
        raise ConfigError(
            f"sweep.policy ({name}): need 1 ≤ grace_period ≤ max_t, got grace_period={grace}, "
            f"max_t={max_t}"
        )
    if policy.get("reduction_factor", 4) <= 1:
        raise ConfigError(f"sweep.policy.reduction_factor ({name}) must be greater than 1")
    from harness.sweeps.asha import rungs

    brackets = policy.get("brackets", 1)
    usable = len(rungs(policy, 0))
    if not 1 <= brackets <= max(1, usable):
        raise ConfigError(
            f"sweep.policy.brackets ({name}) must be between 1 and {max(1, usable)} "
            f"(the rungs from grace_period={grace} to max_t={max_t})"
        )


def primary(config: Any, estimator: Estimator) -> tuple[str, str]:
    """(metric, goal): ``sweep.metric``/``sweep.goal`` where set, else the estimator's.

    Another metric than the estimator's needs its goal: a default goal for a
    metric the estimator does not know would be a guess.
    """
    sweep = config.get("sweep")
    metric = sweep.get("metric") if sweep is not None else None
    goal = sweep.get("goal") if sweep is not None else None
    if metric is None and goal is None:
        return estimator.primary(config)
    default_metric, default_goal = estimator.primary(config)
    if metric is None or metric == default_metric:
        return default_metric, goal or default_goal
    if goal is None:
        raise ConfigError(
            f"sweep.metric={metric} needs sweep.goal=maximize or sweep.goal=minimize "
            f"(the estimator's default metric is {default_metric})"
        )
    return str(metric), str(goal)
