"""Registers the int 42 as an estimator."""

from harness.contract import hookimpl
from harness_faulty.common import searchpath


@hookimpl
def harness_register_estimators(register):
    register("f-int", 42)


@hookimpl
def harness_config_searchpath():
    return searchpath(__name__)
