"""Built-in estimator plugin ``sklearn``: any scikit-learn classifier or regressor."""

from harness.hookspecs import hookimpl


@hookimpl
def harness_register_estimators(register):
    from harness_sklearn.estimator import SklearnEstimator

    register("sklearn", SklearnEstimator)


@hookimpl
def harness_config_searchpath():
    return ["pkg://harness_sklearn.conf"]
