"""The ``chainer`` estimator: config checks in the driver, training in each worker.

Nothing here imports chainer; ``training`` does, inside the job.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.contract.components import Estimator
from harness.errors import ConfigError
from harness.plugins.chainer.compat import chainer_available

MODELS = ("mlp", "cnn")
OPTIMIZERS = ("momentum_sgd", "adam")


def _positive(name: str, value: Any, kind: type = float) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0
    if not ok or (kind is int and not isinstance(value, int)):
        what = "a positive integer" if kind is int else "a positive number"
        raise ConfigError(f"{name} must be {what}, got {value!r}")


def _choice(value: Any) -> Any:
    """An Enum option of the composed config (config.py) as its name."""
    return getattr(value, "value", value)


class ChainerEstimator(Estimator):
    primary_metric = "accuracy"
    goal = "maximize"
    packages = ("chainer", "numpy", "mpi4py")

    @classmethod
    def preload(cls) -> None:
        from harness.plugins.chainer import training

        training.import_chainer()

    def validate(self, config: Any) -> None:
        # With an environment (estimator.environment) chainer comes from there, not
        # from the harness's own interpreter: the job itself finds out.
        if not config.estimator.get("environment") and not chainer_available():
            raise ConfigError(
                "chainer is not installed: pip install --build-constraint "
                "build-constraints.txt 'harness-ml[chainer]' (see README, Set-up)"
            )
        est = config.estimator
        _positive("lr", config.get("lr"))
        _positive("epochs", config.get("epochs"), int)
        _positive("batch_size", config.get("batch_size"), int)
        _positive("estimator.model.n_units", est.model.get("n_units"), int)
        model = _choice(est.model.get("name"))
        if model not in MODELS:
            raise ConfigError(
                f"estimator.model.name: unknown model {model!r}; use one of {', '.join(MODELS)}"
            )
        opt = est.optimizer
        optimizer = _choice(opt.get("name"))
        if optimizer not in OPTIMIZERS:
            raise ConfigError(
                f"estimator.optimizer.name: unknown optimizer {optimizer!r}; "
                f"use one of {', '.join(OPTIMIZERS)}"
            )
        momentum = opt.momentum  # defaults: config.py (the composed config has every key)
        if not isinstance(momentum, (int, float)) or not 0 <= momentum < 1:
            raise ConfigError(f"estimator.optimizer.momentum must be in [0, 1), got {momentum!r}")
        decay = opt.weight_decay
        if not isinstance(decay, (int, float)) or decay < 0:
            raise ConfigError(f"estimator.optimizer.weight_decay must be ≥ 0, got {decay!r}")
        test_size = est.data.test_size
        if not isinstance(test_size, (int, float)) or not 0 < test_size < 1:
            raise ConfigError(f"estimator.data.test_size must be in (0, 1), got {test_size!r}")
        fmt, path = str(_choice(est.data.get("format"))), est.data.get("path")
        from harness import datasets  # numpy: not at plugin load, which every command pays

        datasets.check(fmt, None if path is None else str(path))

    def prepare(self, config: Any, job: Any) -> None:
        job.absolute_path("estimator", "data", "path")

    def train(self, run: Any) -> None:
        from harness.plugins.chainer.training import train

        train(run)

    @classmethod
    def load_model(cls, path: Path, params: dict[str, Any]) -> Any:
        from harness.plugins.chainer.serving import load

        return load(path, params)
