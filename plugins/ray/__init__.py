"""Built-in compute plugin ``ray``: the job runs on a node of a Ray cluster.

The driver stays on this machine and follows the job through a Ray actor placed
with the job's resources; the run folder comes back here (see ``compute.py``).
Ray is imported only when a ``compute=ray`` job is checked or launched.
"""

from harness.contract.hookspecs import hookimpl


@hookimpl
def harness_register_computes(register):
    from harness.plugins.ray.compute import RayCompute

    register("ray", RayCompute)


@hookimpl
def harness_config_schemas(register):
    # Typed options instead of YAML files: a wrong type or an unknown key fails
    # while composing, and the dataclasses hold the only copy of the defaults.
    from harness.plugins.ray.config import RayComputeConfig

    register("compute", "ray", RayComputeConfig)
