"""Built-in compute plugin ``local``: the job runs in a child process on this machine."""

from harness.hookspecs import hookimpl


@hookimpl
def harness_register_computes(register):
    from harness_local.compute import LocalCompute

    register("local", LocalCompute)


@hookimpl
def harness_config_searchpath():
    return ["pkg://harness_local.conf"]
