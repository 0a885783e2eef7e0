"""The ``hgb`` estimator: scikit-learn's HistGradientBoostingClassifier.

It logs the held-out accuracy after every boosting iteration (``val_accuracy``, a
learning curve), the final ``accuracy`` (the primary metric), and saves the model.
"""

from __future__ import annotations

import importlib.util
import time
from dataclasses import dataclass
from typing import Any, Optional

from harness import ConfigError, Estimator


@dataclass
class HgbOptions:
    """The ``estimator`` node, typed: OmegaConf converts and checks every value."""

    name: str = "hgb"
    learning_rate: float = 0.1
    max_iter: int = 30
    max_leaf_nodes: Optional[int] = 31  # noqa: UP045 - OmegaConf needs typing.Optional
    max_depth: Optional[int] = None  # noqa: UP045
    l2_regularization: float = 0.0
    data: str = "digits"
    test_size: float = 0.25


#: Fields passed to HistGradientBoostingClassifier as they are.
MODEL_KEYS = ("learning_rate", "max_iter", "max_leaf_nodes", "max_depth", "l2_regularization")
DATASETS = ("digits", "iris", "wine", "breast_cancer")


def typed_options(estimator_node: Any) -> Any:
    """``estimator`` checked against HgbOptions: a wrong type or an unknown key is a
    ConfigError naming the key (``estimator.max_iter=abc``, ``+estimator.typo=1``)."""
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    try:
        return OmegaConf.merge(OmegaConf.structured(HgbOptions), estimator_node)
    except OmegaConfBaseException as exc:
        key = getattr(exc, "full_key", None)
        message = str(exc).splitlines()[0]
        raise ConfigError(f"estimator.{key}: {message}" if key else message) from None


class HistGradientBoostingEstimator(Estimator):
    primary_metric = "accuracy"
    goal = "maximize"
    packages = ("scikit-learn", "numpy")

    def validate(self, config: Any) -> None:
        # The driver runs this before anything is written: a mistake exits 2.
        if importlib.util.find_spec("sklearn") is None:
            raise ConfigError(
                "the hgb estimator needs scikit-learn: pip install 'harness-example-plugin[hgb]'"
            )
        options = typed_options(config.estimator)
        if options.learning_rate <= 0:
            raise ConfigError(f"estimator.learning_rate must be > 0, got {options.learning_rate}")
        if options.max_iter < 1:
            raise ConfigError(f"estimator.max_iter must be >= 1, got {options.max_iter}")
        if options.data not in DATASETS:
            raise ConfigError(
                f"estimator.data '{options.data}' is not one of {', '.join(DATASETS)}"
            )

    def train(self, run: Any) -> None:
        import joblib
        from sklearn import datasets
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.model_selection import train_test_split

        options = typed_options(run.params.estimator)
        features, labels = getattr(datasets, f"load_{options.data}")(return_X_y=True)
        x_train, x_test, y_train, y_test = train_test_split(
            features,
            labels,
            test_size=float(options.test_size),
            random_state=int(run.params.seed),
            stratify=labels,
        )
        model = HistGradientBoostingClassifier(
            **{key: options[key] for key in MODEL_KEYS},
            early_stopping=False,
            random_state=int(run.params.seed),
        )
        started = time.perf_counter()
        model.fit(x_train, y_train)
        run.log("train_time", time.perf_counter() - started)
        for step, predicted in enumerate(model.staged_predict(x_test)):
            run.log("val_accuracy", float((predicted == y_test).mean()), step=step)
        run.log("accuracy", float(model.score(x_test, y_test)))
        run.log("n_iter", int(model.n_iter_))
        run.outputs_dir.mkdir(parents=True, exist_ok=True)
        joblib.dump(model, run.outputs_dir / "model.joblib")
