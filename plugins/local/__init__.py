"""Built-in compute plugin ``local``: the job runs in a child process on this machine."""

from harness.contract.hookspecs import hookimpl


@hookimpl
def harness_register_computes(register):
    from harness.plugins.local.compute import LocalCompute

    register("local", LocalCompute)


@hookimpl
def harness_config_searchpath():
    return ["pkg://harness.plugins.local.conf"]
