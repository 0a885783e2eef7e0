"""Built-in compute plugin ``mpi``: the job runs as MPI ranks under ``mpiexec``."""

from harness.contract.hookspecs import hookimpl


@hookimpl
def harness_register_computes(register):
    from harness.plugins.mpi.compute import MpiCompute

    register("mpi", MpiCompute)


@hookimpl
def harness_config_schemas(register):
    # Typed options instead of YAML files: a wrong type or an unknown key fails
    # while composing, and the dataclasses hold the only copy of the defaults.
    from harness.plugins.mpi.config import MpiComputeConfig

    register("compute", "mpi", MpiComputeConfig)
