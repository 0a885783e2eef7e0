"""A compute whose launch (in the driver, after the run exists) has a bug."""

from harness.contract import Compute, hookimpl
from harness_faulty.common import searchpath


class LaunchBugCompute(Compute):
    def launch(self, job):
        cores = job.params["compute"]["cores"]  # the config has no compute.cores
        raise AssertionError(f"never reached ({cores})")


@hookimpl
def harness_register_computes(register):
    register("f-launch", LaunchBugCompute)


@hookimpl
def harness_config_searchpath():
    return searchpath(__name__)
