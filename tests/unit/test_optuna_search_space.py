"""The sweep override spelling → Optuna 4 distributions (hydra/sweeper=optuna)."""

from __future__ import annotations

import pytest

optuna = pytest.importorskip("optuna")

from optuna.distributions import (  # noqa: E402
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from hydra_plugins.harness_optuna_sweeper.search_space import (  # noqa: E402
    from_overrides,
    grid_choices,
)


def test_each_sweep_spelling_becomes_its_distribution():
    space, fixed = from_overrides(
        [
            "a=choice(1,2,'x')",
            "b=interval(0.5, 2.0)",
            "c=tag(log, interval(0.001, 10))",
            "d=tag(int, interval(1, 8))",
            "e=range(0, 10, 2)",
            "f=range(0.1, 0.5, 0.1)",
            "g=shuffle(range(1, 4))",
            "estimator.name=sklearn",
        ]
    )
    assert space["a"] == CategoricalDistribution([1, 2, "x"])
    assert space["b"] == FloatDistribution(0.5, 2.0)
    assert space["c"] == FloatDistribution(0.001, 10.0, log=True)
    assert space["d"] == IntDistribution(1, 8)  # a plain interval is a float one
    # Hydra's range leaves out its stop; Optuna's high is included.
    assert space["e"] == IntDistribution(0, 8, step=2)  # 0, 2, 4, 6, 8
    assert isinstance(space["f"], FloatDistribution) and space["f"].high == pytest.approx(0.4)
    assert isinstance(space["g"], CategoricalDistribution)
    assert sorted(space["g"].choices) == [1, 2, 3]
    assert fixed == {"estimator.name": "sklearn"}


def test_the_grid_sampler_walks_discrete_values_and_refuses_intervals():
    space, _ = from_overrides(["a=choice(1,2)", "e=range(0, 5, 2)"])
    assert grid_choices(space) == {"a": [1, 2], "e": [0, 2, 4]}
    space, _ = from_overrides(["b=interval(0.5, 2.0)"])
    with pytest.raises(ValueError, match="grid sampler needs discrete values for b"):
        grid_choices(space)
