"""Built-in compute plugin ``mpi``: the job runs as MPI ranks under ``mpiexec``."""

from harness.contract.hookspecs import hookimpl


@hookimpl
def harness_register_computes(register):
    from harness.plugins.mpi.compute import MpiCompute

    register("mpi", MpiCompute)


@hookimpl
def harness_config_searchpath():
    return ["pkg://harness.plugins.mpi.conf"]


@hookimpl
def harness_worker_start(run):
    """Give every rank of an mpi job its communicator as ``run.comm``."""
    spec = getattr(run, "spec", None)
    if spec is None or spec.compute != "mpi":
        return
    from harness.plugins.mpi.rank import attach_communicator

    attach_communicator(run)
