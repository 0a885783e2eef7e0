"""The ``sklearn`` estimator: fit a scikit-learn model on a held-out split."""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
import time
from pathlib import Path
from typing import Any

from harness.contract.components import Estimator
from harness.errors import ConfigError
from harness.plugins.sklearn import data as datasets

#: Keys of the `estimator` node that are not model parameters.
# "environment" is read by the driver (harness/envs), not a model parameter.
RESERVED = frozenset({"name", "model", "data", "environment"})


#: scikit-learn regressors whose names do not end in Regressor/Regression.
REGRESSOR_NAMES = frozenset(
    {
        "SVR", "NuSVR", "LinearSVR", "Ridge", "RidgeCV", "Lasso", "LassoCV", "ElasticNet",
        "ElasticNetCV", "MultiTaskLasso", "MultiTaskLassoCV", "MultiTaskElasticNet",
        "MultiTaskElasticNetCV", "Lars", "LarsCV", "LassoLars", "LassoLarsCV", "LassoLarsIC",
        "OrthogonalMatchingPursuit", "OrthogonalMatchingPursuitCV", "BayesianRidge",
        "ARDRegression", "KernelRidge", "PLSRegression", "PLSCanonical", "CCA",
    }
)  # fmt: skip


def is_regressor_name(target: str) -> bool:
    """Whether ``target`` names a regressor, by scikit-learn's naming conventions
    (``*Regressor``, ``*Regression`` except ``LogisticRegression``, and the table
    above). The primary metric (r2 or accuracy) is needed in the driver, which
    does not import scikit-learn; a model this misjudges still trains and logs the
    right metric, and the job warns that sweeps should name it (``sweep.metric``)."""
    name = target.rpartition(".")[2]
    if name.startswith("Logistic"):
        return False
    return name.endswith(("Regressor", "Regression")) or name in REGRESSOR_NAMES


def model_class(target: str) -> type:
    module_name, _, class_name = target.rpartition(".")
    try:
        return getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError, ValueError):
        raise ConfigError(f"estimator.model._target_: cannot import '{target}'") from None


def model_params(estimator_cfg: Any) -> dict[str, Any]:
    from omegaconf import OmegaConf

    node = OmegaConf.to_container(estimator_cfg, resolve=True)
    assert isinstance(node, dict)
    return {str(k): v for k, v in node.items() if k not in RESERVED}


def build_model(config: Any) -> Any:
    """The unfitted model, with every parameter checked as scikit-learn checks it."""
    cls = model_class(str(config.estimator.model._target_))
    params = model_params(config.estimator)
    try:
        model = cls(**params)
    except TypeError:
        known = ", ".join(sorted(cls().get_params())) if hasattr(cls, "get_params") else "?"
        bad = sorted(set(params) - set(known.split(", ")))
        raise ConfigError(
            f"{cls.__name__} has no parameter(s) {', '.join('estimator.' + b for b in bad)}; "
            f"its parameters are: {known} (remove one with ~estimator.NAME)"
        ) from None
    if not (hasattr(model, "get_params") and hasattr(model, "fit")):
        raise ConfigError(
            f"estimator.model._target_: {cls.__name__} is not a scikit-learn estimator "
            "(it needs fit and get_params); for other libraries use +estimator=script"
        )
    if "random_state" in model.get_params() and model.get_params()["random_state"] is None:
        model.set_params(random_state=int(config.seed))
    # Only estimators that declare constraints can be checked before fitting
    # (third-party ones subclassing BaseEstimator often don't).
    validate = getattr(model, "_validate_params", None)
    if validate is not None and hasattr(type(model), "_parameter_constraints"):
        try:
            validate()
        except (ValueError, TypeError) as exc:
            message = str(exc)
            match = re.search(r"The '(\w+)' parameter", message)
            key = f"estimator.{match.group(1)}: " if match else ""
            raise ConfigError(f"{key}{message}") from None
    return model


class SklearnEstimator(Estimator):
    packages = ("scikit-learn", "numpy", "scipy", "joblib")

    @classmethod
    def preload(cls) -> None:
        import joblib  # noqa: F401 - what train imports first
        import sklearn.model_selection  # noqa: F401

    # scikit-learn fits in one process; under compute=mpi only rank 0 trains.
    data_parallel = False

    def validate(self, config: Any) -> None:
        # The driver does not import scikit-learn (about a second on a small
        # machine): it checks what it can by name; the model's parameters are
        # checked by scikit-learn itself in the job (validate_in_job).
        target = str(config.estimator.model.get("_target_") or "")
        module, _, name = target.rpartition(".")
        if not module or not name:
            raise ConfigError(
                f"estimator.model._target_ '{target}' is not a class path "
                "like sklearn.linear_model.LogisticRegression"
            )
        if importlib.util.find_spec(module.partition(".")[0]) is None:
            raise ConfigError(f"estimator.model._target_: cannot import '{target}'")
        datasets.check(config.estimator.data)

    def validate_in_job(self, config: Any) -> None:
        build_model(config)
        # The data is read here, before training: a bad file is one line and exit 2
        # (ConfigError), and train() uses what was read instead of reading it again.
        self._data = datasets.load(config.estimator.data)

    def prepare(self, config: Any, job: Any) -> None:
        job.absolute_path("estimator", "data", "path")

    def primary(self, config: Any) -> tuple[str, str]:
        # By scikit-learn's naming, not by importing it (see is_regressor_name);
        # train() logs the metric its model's real type calls for.
        target = str(config.estimator.model.get("_target_") or "")
        return ("r2", "maximize") if is_regressor_name(target) else ("accuracy", "maximize")

    def train(self, run: Any) -> None:
        import joblib
        from sklearn.base import is_regressor
        from sklearn.model_selection import train_test_split

        config = run.params
        model = build_model(config)
        loaded = getattr(self, "_data", None)
        features, labels = loaded if loaded is not None else datasets.load(config.estimator.data)
        regression = is_regressor(model)
        if regression != is_regressor_name(str(config.estimator.model._target_)):
            kind = "a regressor" if regression else "a classifier"
            print(
                f"harness: warning: {type(model).__name__} is {kind}; a sweep over it needs "
                f"sweep.metric={'r2' if regression else 'accuracy'} sweep.goal=maximize",
                file=sys.stderr,
            )
        x_train, x_test, y_train, y_test = train_test_split(
            features,
            labels,
            test_size=float(config.estimator.data.test_size),
            random_state=int(config.seed),
            stratify=None if regression else labels,
        )
        print(
            f"training {type(model).__name__} on {len(x_train)} samples, testing on {len(x_test)}"
        )
        run.log("n_train", len(x_train))
        started = time.perf_counter()
        model.fit(x_train, y_train)
        run.log("train_time", time.perf_counter() - started)
        if regression:
            from sklearn.metrics import mean_squared_error, r2_score

            predicted = model.predict(x_test)
            run.log("r2", float(r2_score(y_test, predicted)))
            run.log("rmse", float(mean_squared_error(y_test, predicted) ** 0.5))
        else:
            from sklearn.metrics import accuracy_score, f1_score

            predicted = model.predict(x_test)
            run.log("accuracy", float(accuracy_score(y_test, predicted)))
            run.log("f1_macro", float(f1_score(y_test, predicted, average="macro")))
        run.outputs_dir.mkdir(parents=True, exist_ok=True)
        joblib.dump(model, run.outputs_dir / "model.joblib")

    @classmethod
    def load_model(cls, path: Path, params: dict[str, Any]) -> Any:
        from harness.plugins.sklearn.serving import load

        return load(path)
