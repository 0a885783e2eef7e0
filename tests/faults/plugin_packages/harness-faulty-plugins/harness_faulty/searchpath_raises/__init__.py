"""harness_config_searchpath raises."""

from harness.contract import hookimpl
from harness_faulty.common import WorkingEstimator


@hookimpl
def harness_register_estimators(register):
    register("f-path", WorkingEstimator)


@hookimpl
def harness_config_searchpath():
    raise RuntimeError("searchpath exploded")
