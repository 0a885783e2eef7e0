"""Hydra sweep overrides → Optuna 4 distributions (the spelling hydra-optuna-sweeper used).

``choice(a,b)`` → categorical; ``range(1,10)`` (``range(0.1,1,0.1)``) → int (float)
with a step, ``shuffle(range(...))`` → categorical; ``interval(a,b)`` → float,
``tag(int, interval(a,b))`` → int, ``tag(log, …)`` → log scale. HyperDrive's
``normal``, ``lognormal``, ``qnormal``, ``qlognormal``, ``quniform`` and
``qloguniform`` (``tag(normal, interval(MU, SIGMA))``, ...; harness/sweeps/expressions.py)
→ the float of their latent sample, which ``values`` turns into the job's value.
Anything else is a fixed value.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override, Transformer

if TYPE_CHECKING:  # Hydra imports every hydra_plugins module at start-up: no optuna there
    from optuna.distributions import BaseDistribution, CategoricalDistribution

    from harness.sweeps.expressions import Expression


def _choices(override: Override) -> CategoricalDistribution:
    from optuna.distributions import CategoricalDistribution

    return CategoricalDistribution(list(override.sweep_iterator(transformer=Transformer.encode)))


def distribution(override: Override) -> BaseDistribution | str:
    from optuna.distributions import FloatDistribution, IntDistribution

    from harness.sweeps.expressions import of_override

    if not override.is_sweep_override():
        return override.get_value_element_as_str()
    expression = of_override(override)
    if expression is not None:
        low, high, log = expression.latent()
        return FloatDistribution(low, high, log=log)
    value: Any = override.value()
    if override.is_choice_sweep():
        return _choices(override)
    if override.is_range_sweep():
        if value.shuffle:
            return _choices(override)
        # Hydra's range leaves out its stop; Optuna's high is the last value taken.
        count = math.ceil((value.stop - value.start) / value.step)
        if any(isinstance(x, float) for x in (value.start, value.stop, value.step)):
            last = value.start + (count - 1) * value.step
            return FloatDistribution(value.start, last, step=value.step)
        last = int(value.start) + (count - 1) * int(value.step)
        return IntDistribution(int(value.start), last, step=int(value.step))
    if override.is_interval_sweep():
        log = "log" in value.tags
        if "int" in value.tags:  # Hydra's interval bounds are always floats
            return IntDistribution(int(value.start), int(value.end), log=log)
        return FloatDistribution(float(value.start), float(value.end), log=log)
    raise ValueError(f"{override.input_line} is not a sweep the optuna sweeper understands")


def from_overrides(arguments: list[str]) -> tuple[dict[str, BaseDistribution], dict[str, str]]:
    """(search space, fixed values) of a multirun's overrides."""
    from optuna.distributions import BaseDistribution

    space: dict[str, BaseDistribution] = {}
    fixed: dict[str, str] = {}
    for override in OverridesParser.create().parse_overrides(arguments):
        found = distribution(override)
        if isinstance(found, BaseDistribution):
            space[override.get_key_element()] = found
        else:
            fixed[override.get_key_element()] = found
    return space, fixed


def sampled(arguments: list[str]) -> dict[str, Expression]:
    """The parameters of a multirun's overrides that are parameter expressions."""
    from harness.sweeps.expressions import of_override

    found: dict[str, Expression] = {}
    for override in OverridesParser.create().parse_overrides(arguments):
        expression = of_override(override)
        if expression is not None:
            found[override.get_key_element()] = expression
    return found


def values(params: dict[str, Any], sampled: dict[str, Expression]) -> dict[str, Any]:
    """A trial's parameters as the job gets them: latent samples → values."""
    return {k: sampled[k].value(v) if k in sampled else v for k, v in params.items()}


def grid_choices(space: dict[str, BaseDistribution]) -> dict[str, list[Any]]:
    """The values a GridSampler walks; only discrete distributions have them."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    grid: dict[str, list[Any]] = {}
    for name, dist in space.items():
        if isinstance(dist, CategoricalDistribution):
            grid[name] = list(dist.choices)
        elif isinstance(dist, (IntDistribution, FloatDistribution)) and dist.step and not dist.log:
            count = int(round((dist.high - dist.low) / dist.step)) + 1
            grid[name] = [dist.low + i * dist.step for i in range(count)]
        else:
            raise ValueError(f"the grid sampler needs discrete values for {name} (choice or range)")
    return grid
