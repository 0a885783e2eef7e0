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
    from harness.plugins.mpi.rank import estimator_flag

    # MPI_Init waits for every rank, so initialise it only where all ranks will:
    # not for a script-mode child (it owns the rank and initialises MPI itself), and
    # not for an estimator that trains on rank 0 alone (the other ranks exit at once).
    if estimator_flag(spec.estimator, "data_parallel", True) and not estimator_flag(
        spec.estimator, "trains_in_child_process", False
    ):
        from mpi4py import MPI

        run.comm = MPI.COMM_WORLD
