"""Built-in compute plugin ``mpi``: the job runs as MPI ranks under ``mpiexec``."""

from harness.contract.hookspecs import hookimpl


@hookimpl
def harness_register_computes(register):
    from harness.plugins.mpi.compute import MpiCompute

    register("mpi", MpiCompute)


@hookimpl
def harness_config_searchpath():
    return ["pkg://harness.plugins.mpi.conf"]
