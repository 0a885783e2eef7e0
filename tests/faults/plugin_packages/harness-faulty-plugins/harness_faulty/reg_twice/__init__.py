"""Registers one name twice."""

from harness.contract import hookimpl
from harness_faulty.common import WorkingEstimator, searchpath


@hookimpl
def harness_register_estimators(register):
    register("f-twice", WorkingEstimator)
    register("f-twice", WorkingEstimator)


@hookimpl
def harness_config_searchpath():
    return searchpath(__name__)
