"""An estimator whose prepare (in the driver, after the run exists) has a bug."""

from harness.contract import hookimpl
from harness_faulty.common import WorkingEstimator, searchpath


class PrepareBugEstimator(WorkingEstimator):
    def prepare(self, config, job):
        job.snapshot_dir.mkdir()  # JobSpec has no snapshot_dir


@hookimpl
def harness_register_estimators(register):
    register("f-prepare", PrepareBugEstimator)


@hookimpl
def harness_config_searchpath():
    return searchpath(__name__)
