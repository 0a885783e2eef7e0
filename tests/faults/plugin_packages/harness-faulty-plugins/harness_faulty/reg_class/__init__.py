"""Registers a class that is no Estimator."""

from harness.contract import hookimpl
from harness_faulty.common import searchpath


class NotAnEstimator:
    def train(self, run):
        run.log("accuracy", 1.0)


@hookimpl
def harness_register_estimators(register):
    register("f-class", NotAnEstimator)


@hookimpl
def harness_config_searchpath():
    return searchpath(__name__)
