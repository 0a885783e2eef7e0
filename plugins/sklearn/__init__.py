"""Built-in estimator plugin ``sklearn``: any scikit-learn classifier or regressor."""

from harness.contract.hookspecs import hookimpl


@hookimpl
def harness_register_estimators(register):
    from harness.plugins.sklearn.estimator import SklearnEstimator

    register("sklearn", SklearnEstimator)


@hookimpl
def harness_config_searchpath():
    return ["pkg://harness.plugins.sklearn.conf"]
