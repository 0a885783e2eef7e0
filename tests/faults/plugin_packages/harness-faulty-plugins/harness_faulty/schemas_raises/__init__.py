"""harness_config_schemas raises."""

from harness.contract import hookimpl
from harness_faulty.common import WorkingEstimator, searchpath


@hookimpl
def harness_register_estimators(register):
    register("f-cfg", WorkingEstimator)


@hookimpl
def harness_config_searchpath():
    return searchpath(__name__)


@hookimpl
def harness_config_schemas(register):
    raise RuntimeError("schemas exploded")
