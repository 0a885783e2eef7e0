"""Registers a name that cannot be a config option."""

from harness.contract import hookimpl
from harness_faulty.common import WorkingEstimator, searchpath


@hookimpl
def harness_register_estimators(register):
    register("f-name", WorkingEstimator)
    register("Bad Name!", WorkingEstimator)


@hookimpl
def harness_config_searchpath():
    return searchpath(__name__)
