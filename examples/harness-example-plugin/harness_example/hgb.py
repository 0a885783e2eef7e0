"""The ``hgb`` estimator: scikit-learn's HistGradientBoostingClassifier.

It logs the held-out accuracy after every boosting iteration (``val_accuracy``, a
learning curve), the final ``accuracy`` (the primary metric), and saves the model.
"""

from __future__ import annotations

import importlib.util
import time
from typing import Any

from harness.contract import ConfigError, Estimator

#: Options passed to HistGradientBoostingClassifier as they are (their types and
#: defaults are in harness_example/config.py).
MODEL_KEYS = ("learning_rate", "max_iter", "max_leaf_nodes", "max_depth", "l2_regularization")


class HistGradientBoostingEstimator(Estimator):
    primary_metric = "accuracy"
    goal = "maximize"
    packages = ("scikit-learn", "numpy")

    def validate(self, config: Any) -> None:
        # The driver runs this before anything is written: a mistake exits 2. Types,
        # unknown keys and the data choices were checked while composing.
        if importlib.util.find_spec("sklearn") is None:
            raise ConfigError(
                "the hgb estimator needs scikit-learn: pip install 'harness-example-plugin[hgb]'"
            )
        options = config.estimator
        if options.learning_rate <= 0:
            raise ConfigError(f"estimator.learning_rate must be > 0, got {options.learning_rate}")
        if options.max_iter < 1:
            raise ConfigError(f"estimator.max_iter must be >= 1, got {options.max_iter}")

    def train(self, run: Any) -> None:
        import joblib
        from sklearn import datasets
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.model_selection import train_test_split

        options = run.params.estimator  # job.json holds an Enum option as its name
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
