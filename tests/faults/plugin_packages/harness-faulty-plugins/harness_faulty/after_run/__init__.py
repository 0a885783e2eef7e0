"""harness_after_run raises."""

from harness.contract import hookimpl
from harness_faulty.common import WorkingEstimator, searchpath


@hookimpl
def harness_register_estimators(register):
    register("f-after", WorkingEstimator)


@hookimpl
def harness_config_searchpath():
    return searchpath(__name__)


@hookimpl
def harness_after_run(record, status):
    raise RuntimeError("after-run exploded")
