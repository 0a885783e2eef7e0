"""harness_worker_start raises."""

from harness.contract import hookimpl
from harness_faulty.common import WorkingEstimator, searchpath


@hookimpl
def harness_register_estimators(register):
    register("f-worker", WorkingEstimator)


@hookimpl
def harness_config_searchpath():
    return searchpath(__name__)


@hookimpl
def harness_worker_start(run):
    raise RuntimeError("worker-start exploded")
