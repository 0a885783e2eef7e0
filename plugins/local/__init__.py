"""Built-in compute plugin ``local``: the job runs in a child process on this machine."""

from harness.contract.hookspecs import hookimpl


@hookimpl
def harness_register_computes(register):
    from harness.plugins.local.compute import LocalCompute

    register("local", LocalCompute)


@hookimpl
def harness_config_schemas(register):
    # A typed option instead of a YAML file: `compute.timeout=abc` fails while
    # composing, and the dataclass holds the only copy of the defaults.
    from harness.plugins.local.config import LocalComputeConfig

    register("compute", "local", LocalComputeConfig)
