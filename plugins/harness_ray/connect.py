"""Connect this process to a running Ray cluster, once; a failure is one line.

Shared by the ``ray`` compute and the harness's ``hydra/launcher=ray``. Both only
ever join a cluster that something already runs (``ray start``): the harness
never starts Ray processes of its own.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from harness.errors import ConfigError


def connect(address: str | None, what: str, runtime_env: dict[str, Any] | None = None) -> None:
    """``ray.init`` against ``address`` (``auto``: RAY_ADDRESS, else the cluster
    started on this machine). ``what`` names the setting in the error."""
    import ray

    if ray.is_initialized():
        return
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        ray.init(
            address=address or "auto",
            namespace="harness",
            runtime_env=runtime_env,
            logging_level=logging.WARNING,
            # The harness streams job output itself (stdout/stderr of each job).
            log_to_driver=False,
        )
    except (ConnectionError, RuntimeError, ValueError, TimeoutError) as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ConfigError(
            f"{what}: cannot join a Ray cluster at '{address}': {reason} "
            "(start one with `ray start --head`, or give its HOST:PORT)"
        ) from None


def alive_nodes() -> list[dict[str, Any]]:
    import ray

    return [node for node in ray.nodes() if node.get("Alive")]


def describe_resources(resources: dict[str, float]) -> str:
    return ", ".join(f"{k}={v:g}" for k, v in sorted(resources.items()) if not k.startswith("node:"))
