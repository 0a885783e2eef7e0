"""Built-in estimator plugin ``sklearn``: any scikit-learn classifier or regressor."""

from harness.contract.hookspecs import hookimpl


@hookimpl
def harness_register_estimators(register):
    from harness.plugins.sklearn.estimator import SklearnEstimator

    register("sklearn", SklearnEstimator)


@hookimpl
def harness_config_schemas(register):
    # Typed options instead of YAML files: a wrong type or an unknown key fails
    # while composing, and the dataclasses hold the only copy of the defaults.
    from harness.plugins.sklearn.config import SklearnConfig

    register("estimator", "sklearn", SklearnConfig)
