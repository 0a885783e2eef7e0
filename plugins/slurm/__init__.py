"""Built-in compute plugin ``slurm``: the job runs as a Slurm batch job (submitit)."""

from harness.contract.hookspecs import hookimpl


@hookimpl
def harness_register_computes(register):
    from harness.plugins.slurm.compute import SlurmCompute

    register("slurm", SlurmCompute)


@hookimpl
def harness_config_schemas(register):
    # Typed options instead of YAML files: a wrong type or an unknown key fails
    # while composing, and the dataclasses hold the only copy of the defaults.
    from harness.plugins.slurm.config import SlurmComputeConfig

    register("compute", "slurm", SlurmComputeConfig)


@hookimpl
def harness_before_run(record):
    """A run whose driver runs inside a Slurm job (a sweep job of the submitit
    launcher) remembers that job, so the sweep can settle the run if the
    scheduler ends the job before the driver can (time limit, scancel)."""
    from harness.plugins.slurm.scheduler import slurm_job_id

    job_id = slurm_job_id()
    if job_id is None or record.path is None:
        return
    from harness.contract.records import update_run_extra

    update_run_extra(record.id, {"slurm_job_id": job_id}, record.path.parent.parent)
