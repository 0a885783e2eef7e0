"""Start the sweep's Ray workers while Hydra is still preparing its jobs.

A driver's first task waits for Ray to start a worker process for it (Ray binds
workers to the driver that first uses them, and drops them when it leaves, so a
new sweep never finds one ready): 1.4-1.6 s on a 2-core machine, then the worker
imports Hydra and the harness as it unpickles its first job. The launcher's
``setup`` comes ~0.8 s before its first job is submitted (the sweeper computes
its batch, the launcher composes every job's config), so it submits one no-op
task per job the sweep can run at once, with the jobs' own options: Ray starts
those workers (same driver, same runtime_env, same placement) and they have
done their imports by the time the jobs arrive. The no-ops hold a slot only
while they import, and nothing waits for them.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from omegaconf import DictConfig

log = logging.getLogger(__name__)

#: Never warm more workers than this, whatever the cluster and the sweep allow.
MOST = 64


def ready(context: tuple[Any, Any, dict[str, str]]) -> None:
    """A warm-up task: unpickling ``context`` (the sweep's config loader and task
    function), the worker imports what they refer to; then, in the jobs'
    environment, what ``run_one`` imports."""
    import os

    os.environ.update(context[2])
    import hydra.core.utils  # noqa: F401

    import harness.job.config  # noqa: F401
    import harness.job.session  # noqa: F401
    import harness.sweeps.singletons  # noqa: F401


def demand(options: dict[str, Any]) -> dict[str, float]:
    """What one task of these ``ray.remote`` options takes from a node."""
    wanted = {"CPU": float(options.get("num_cpus", 1) or 0)}
    wanted["GPU"] = float(options.get("num_gpus") or 0)
    for name, amount in (options.get("resources") or {}).items():
        wanted[str(name)] = float(amount)
    return {name: amount for name, amount in wanted.items() if amount > 0}


def slots(wanted: dict[str, float], totals: dict[str, float]) -> int:
    """How many such tasks the cluster holds at once (by its totals, not by what
    is free now: a busy cluster frees them for the jobs soon enough)."""
    if not wanted:
        return MOST
    return min(math.floor(totals.get(name, 0.0) / amount + 1e-9) for name, amount in wanted.items())


def count(options: dict[str, Any], totals: dict[str, float], width: int | None) -> int:
    """Workers to warm: what the cluster holds at once, at most ``width`` (the
    jobs the sweep runs at once), at most ``MOST``."""
    held = slots(demand(options), totals)
    return max(0, min(held, MOST, width if width is not None else MOST))


def width(config: DictConfig, max_concurrent: int | None) -> int | None:
    """The most jobs the sweep runs at once, where the config says (None: unknown):
    Optuna's ``n_jobs`` a batch, the basic sweeper's whole grid, at most
    ``max_concurrent``."""
    from harness.sweeps.callback import grid_size

    widths = [max_concurrent] if max_concurrent else []
    try:
        if "optuna" in str(config.hydra.sweeper.get("_target_", "")).lower():
            widths.append(int(config.hydra.sweeper.n_jobs))
        else:
            widths.append(grid_size(config))
    except Exception as exc:  # another sweeper: what the cluster and max_concurrent allow
        log.debug(f"hydra/launcher=ray: sweep width unknown: {exc}")
    return min(widths) if widths else None


def start(task: Any, n: int, context: tuple[Any, Any, dict[str, str]]) -> list[Any]:
    """Submit ``n`` warm-up tasks (``task``: ``ready`` with the jobs' options)
    with ``context`` (config loader, task function, the jobs' environment);
    returns their refs, which nobody needs to wait for."""
    import ray

    if n < 1:
        return []
    shared = ray.put(context)
    return [task.remote(shared) for _ in range(n)]
