"""An estimator whose validate has a bug."""

from harness.contract import Estimator, hookimpl
from harness_faulty.common import searchpath


class BuggyEstimator(Estimator):
    def validate(self, config):
        return config.estimator.settings.depth  # there is no `settings`

    def train(self, run):
        run.log("accuracy", 1.0)


@hookimpl
def harness_register_estimators(register):
    register("f-validate", BuggyEstimator)


@hookimpl
def harness_config_searchpath():
    return searchpath(__name__)
