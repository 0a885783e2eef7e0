"""harness_register_estimators raises after registering."""

from harness.contract import hookimpl
from harness_faulty.common import WorkingEstimator, searchpath


@hookimpl
def harness_register_estimators(register):
    register("f-reg", WorkingEstimator)
    raise RuntimeError("register exploded")


@hookimpl
def harness_config_searchpath():
    return searchpath(__name__)
