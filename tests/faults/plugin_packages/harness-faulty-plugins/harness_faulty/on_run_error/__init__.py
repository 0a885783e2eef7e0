"""harness_on_run_error raises."""

from harness.contract import hookimpl
from harness_faulty.common import WorkingEstimator, searchpath


@hookimpl
def harness_register_estimators(register):
    register("f-onerror", WorkingEstimator)


@hookimpl
def harness_config_searchpath():
    return searchpath(__name__)


@hookimpl
def harness_on_run_error(record, error):
    raise RuntimeError("on-run-error exploded")
