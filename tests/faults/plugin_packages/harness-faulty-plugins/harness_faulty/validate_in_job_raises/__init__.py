"""An estimator whose validate_in_job (in the job process) has a bug."""

from harness.contract import hookimpl
from harness_faulty.common import WorkingEstimator, searchpath


class InJobBugEstimator(WorkingEstimator):
    def validate_in_job(self, config):
        return int(config["estimator"]["name"])  # a name is no number


@hookimpl
def harness_register_estimators(register):
    register("f-injob", InJobBugEstimator)


@hookimpl
def harness_config_searchpath():
    return searchpath(__name__)
