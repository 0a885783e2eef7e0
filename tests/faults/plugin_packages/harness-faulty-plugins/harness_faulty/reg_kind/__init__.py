"""Registers an estimator as a compute."""

from harness.contract import hookimpl
from harness_faulty.common import WorkingEstimator, searchpath


@hookimpl
def harness_register_computes(register):
    register("f-kind", WorkingEstimator)


@hookimpl
def harness_config_searchpath():
    return searchpath(__name__)
