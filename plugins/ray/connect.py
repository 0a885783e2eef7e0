"""Connect this process to a running Ray cluster, once; a failure is one line.

Shared by the ``ray`` compute and the harness's ``hydra/launcher=ray``. Both only
ever join a cluster that something already runs (``ray start``): the harness
never starts Ray processes of its own.
"""

from __future__ import annotations

import atexit
import logging
import os
import socket
from typing import Any

from harness.errors import ConfigError

#: Seconds to wait for the cluster's address to answer at all.
REACH_TIMEOUT_S = 5.0


def connect(
    address: str | None,
    what: str,
    runtime_env: dict[str, Any] | None = None,
    log_to_driver: bool = False,
) -> None:
    """``ray.init`` against ``address`` (``auto``: RAY_ADDRESS, else the cluster
    started on this machine). ``what`` names the setting in the error.
    ``log_to_driver``: Ray forwards the tasks' output here (the launcher); the
    ``ray`` compute streams its job's output itself."""
    import ray

    if ray.is_initialized():
        return
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    address = address or "auto"
    _check_reachable(os.environ.get("RAY_ADDRESS", "") if address == "auto" else address, what)
    try:
        ray.init(
            address=address,
            namespace="harness",
            runtime_env=runtime_env,
            logging_level=logging.WARNING,
            # The harness streams job output itself (stdout/stderr of each job).
            log_to_driver=log_to_driver,
        )
    except (ConnectionError, RuntimeError, ValueError, TimeoutError) as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ConfigError(
            f"{what}: cannot join a Ray cluster at '{address}': {reason} "
            "(start one with `ray start --head`, or give its HOST:PORT)"
        ) from None
    atexit.register(_leave)  # registered after Ray's own exit hook, so it runs first


def _leave() -> None:
    """Leave the cluster as this process exits, before Ray's own exit hook, which
    first sleeps 0.5 s for task output still on its way. Whoever joined has every
    result it waited for by then: the ``ray`` compute streams its job's output
    itself, and a sweep's tasks have all returned and the sweep has written its
    summary since, ample time for their forwarded output (Ray's log monitor looks
    every 0.1 s). What has arrived is printed as Ray leaves."""
    import ray

    if ray.is_initialized():
        ray.shutdown()


def _check_reachable(address: str, what: str) -> None:
    """Ray retries an unreachable GCS for minutes, printing warnings; a refused
    or silent HOST:PORT is one line at once instead."""
    host, sep, port = address.rpartition(":")
    if not sep or "://" in address or not port.isdigit():
        return
    try:
        socket.create_connection((host, int(port)), timeout=REACH_TIMEOUT_S).close()
    except OSError as exc:
        raise ConfigError(
            f"{what}: cannot join a Ray cluster at '{address}': {exc.strerror or exc} "
            "(start one with `ray start --head`, or give its HOST:PORT)"
        ) from None


def alive_nodes() -> list[dict[str, Any]]:
    import ray

    return [node for node in ray.nodes() if node.get("Alive")]


def describe_resources(resources: dict[str, float]) -> str:
    return ", ".join(
        f"{k}={v:g}" for k, v in sorted(resources.items()) if not k.startswith("node:")
    )
