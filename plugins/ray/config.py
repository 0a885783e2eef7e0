"""The typed config of the ``ray`` compute: the one place its defaults live.

Registered as the option ``compute=ray`` (``harness_config_schemas``). The driver
stays here, streams the job's output, metrics and status live, and brings the run
folder back into this workspace at the end: the cluster needs no shared file system.
Every node needs the same Python environment (the harness and the job's frameworks).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Optional

# OmegaConf needs typing.Optional and Dict in structured configs.
# ruff: noqa: UP006, UP035, UP045


@dataclass
class RayComputeConfig:
    """Run the job on a node of a running Ray cluster (`pip install 'harness-ml[cluster]'`)."""

    name: str = "ray"
    #: The cluster: `auto` (RAY_ADDRESS, else the cluster started on this machine), or HOST:PORT.
    address: str = "auto"
    #: Resources the job holds on its node while it runs (Ray places it on a node that has them).
    num_cpus: float = 1
    num_gpus: float = 0
    #: Custom resources, e.g. {worker_node: 1}, as given to `ray start --resources`.
    resources: Dict[str, float] = field(default_factory=dict)
    #: Bytes of memory to reserve for the job; None: none.
    memory: Optional[int] = None
    #: A Ray runtime_env for the job's node (env_vars, pip, ...), passed to Ray as it is.
    #: (Any: OmegaConf cannot add a key under a typed null mapping, as in
    #: +compute.runtime_env.env_vars.X=1.)
    runtime_env: Any = None
    #: Seconds before the job is stopped and marked Failed; None: no limit.
    timeout: Optional[float] = None
