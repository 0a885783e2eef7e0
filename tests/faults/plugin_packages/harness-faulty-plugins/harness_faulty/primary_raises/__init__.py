"""An estimator whose primary (asked before the run exists) has a bug."""

from harness.contract import hookimpl
from harness_faulty.common import WorkingEstimator, searchpath


class PrimaryBugEstimator(WorkingEstimator):
    metrics = {"accuracy": "maximize"}

    def primary(self, config):
        name = self.metrics["primary"]  # there is no key "primary"
        return name, self.metrics[name]


@hookimpl
def harness_register_estimators(register):
    register("f-primary", PrimaryBugEstimator)


@hookimpl
def harness_config_searchpath():
    return searchpath(__name__)
