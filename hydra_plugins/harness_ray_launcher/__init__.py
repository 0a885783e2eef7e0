"""``hydra/launcher=ray``: the harness's own Hydra launcher on Ray's task API.

Why not ``hydra-ray-launcher`` 1.2.2: it pins ``cloudpickle<3`` (this
environment has 3.1, which other packages use), its local launcher passes
``object_store_memory`` to ``ray.init``, which Ray refuses when joining a running
cluster, it submits every job at once and only ``ray.get``s them, so Ctrl-C
leaves the jobs running and ``sweep.max_concurrent_runs`` has nothing to act on,
and it hands the jobs none of the harness's environment (workspace, sweep id).
The config keeps its spelling: ``hydra.launcher.ray.init.*`` and
``hydra.launcher.ray.remote.*``.
"""
