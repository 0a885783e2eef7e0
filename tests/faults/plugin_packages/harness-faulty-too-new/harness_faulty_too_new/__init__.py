"""A plugin that requires harness-ml>=99: the harness refuses it before importing it."""

from harness.contract import Estimator, hookimpl


class NewEstimator(Estimator):
    def train(self, run):
        run.log("accuracy", 1.0)


@hookimpl
def harness_register_estimators(register):
    register("f-new", NewEstimator)


@hookimpl
def harness_config_searchpath():
    return ["pkg://harness_faulty_too_new.conf"]
