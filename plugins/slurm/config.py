"""The typed config of the ``slurm`` compute: the one place its defaults live.

Registered as the option ``compute=slurm`` (``harness_config_schemas``); types are
checked while composing, ``settings.settings_from`` keeps the ranges and formats.
HARNESS_HOME must be on a file system every node mounts at the same path
(docs/cluster.md). Ranks = node_count × process_count_per_node; more than one start
under ``srun --mpi=pmix`` and get run.rank / run.comm as under compute=mpi.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Optional

# OmegaConf needs typing.Optional and Dict in structured configs.
# ruff: noqa: UP006, UP035, UP045


@dataclass
class SlurmComputeConfig:
    """Run the job as a Slurm batch job (sbatch through submitit)."""

    name: str = "slurm"
    #: The partition (sbatch --partition); None: the cluster's default partition.
    partition: Optional[str] = None
    #: Nodes to span (Azure ML's node_count).
    node_count: int = 1
    #: Ranks on each node (Azure ML's process_count_per_node).
    process_count_per_node: int = 1
    #: GPUs per node (sbatch --gpus-per-node); 0: none asked.
    gpus_per_node: int = 0
    #: CPUs per rank (sbatch --cpus-per-task).
    cpus_per_task: int = 1
    #: Memory per node in GB (sbatch --mem); None: the partition's default.
    mem_gb: Optional[float] = None
    #: Minutes, or a Slurm time string ("2:00:00", "1-00:00:00"); None: the
    #: partition's default. At the limit Slurm stops the job: run Failed.
    time: Any = None
    #: Any other sbatch option, spelled without the dashes: {qos: high, account: lab}.
    sbatch_args: Dict[str, Any] = field(default_factory=dict)
    #: Extra srun arguments for the ranks, e.g. ["--cpu-bind=cores"] (a string is
    #: split at spaces, so the type stays open; settings.py checks it).
    srun_args: Any = field(default_factory=list)
    #: srun's MPI plugin for multi-rank jobs (Open MPI 5 needs pmix); None: MpiDefault.
    mpi: Optional[str] = "pmix"
    #: The job name; None: harness-<run id>.
    job_name: Optional[str] = None
    #: Seconds between two looks at the job's state (scontrol).
    poll_interval: float = 1.0
