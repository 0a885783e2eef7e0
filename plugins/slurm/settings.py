"""The ``compute`` config of a slurm job, checked, and turned into submitit parameters."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from harness.errors import ConfigError

#: Slurm's time formats: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS, or unlimited.
_TIME = re.compile(r"^(\d+-)?\d+(:\d+){0,2}$|^(unlimited|infinite)$", re.IGNORECASE)


@dataclass
class SlurmSettings:
    partition: str | None = None
    node_count: int = 1
    process_count_per_node: int = 1
    gpus_per_node: int = 0
    cpus_per_task: int = 1
    mem_gb: float | None = None
    time: str | None = None
    sbatch_args: dict[str, Any] = field(default_factory=dict)
    srun_args: list[str] = field(default_factory=list)
    mpi: str | None = "pmix"
    job_name: str | None = None
    poll_interval: float = 1.0

    @property
    def world_size(self) -> int:
        return self.node_count * self.process_count_per_node

    def submitit_parameters(self, job_name: str) -> dict[str, Any]:
        """Keyword arguments for ``SlurmExecutor.update_parameters``."""
        params: dict[str, Any] = {
            "job_name": self.job_name or job_name,
            "nodes": self.node_count,
            "ntasks_per_node": self.process_count_per_node,
            "cpus_per_task": self.cpus_per_task,
            # The job's stderr goes into its stdout log: one file, in order.
            "stderr_to_stdout": True,
            "srun_args": self.srun_arguments(),
            # One task needs no job step: srun costs seconds per job on some clusters
            # (5 s on the test cluster, benchmarks/README.md); ranks do need it.
            "use_srun": self.world_size > 1 or bool(self.srun_args),
            "additional_parameters": dict(self.sbatch_args),
        }
        if self.partition:
            params["partition"] = self.partition
        if self.gpus_per_node:
            params["gpus_per_node"] = self.gpus_per_node
        if self.mem_gb is not None:
            params["mem"] = _mem(self.mem_gb)
        if self.time is not None:
            params["additional_parameters"]["time"] = self.time
        return params

    def srun_arguments(self) -> list[str]:
        args = []
        if self.world_size > 1:
            if self.mpi:
                args.append(f"--mpi={self.mpi}")
            # One rank that exits non-zero stops the others (they may wait in a collective).
            args.append("--kill-on-bad-exit=1")
        return [*args, *self.srun_args]


def no_requeue(sbatch_args: dict[str, Any]) -> dict[str, Any]:
    """``--no-requeue`` unless the user's own sbatch options say otherwise.

    On a cluster with ``PreemptMode=REQUEUE`` (or after a node failure) Slurm would
    otherwise put a preempted job back in the queue and start its script again from
    the beginning: the run would start over in the same run folder, and a sweep
    job would make a second run while the first stayed ``Running``. A job that may
    not be requeued is killed instead, ends ``PREEMPTED`` (or ``NODE_FAIL``), and
    its run ends with that reason.
    """
    if not {"requeue", "no-requeue"} & {str(k).lstrip("-").replace("_", "-") for k in sbatch_args}:
        sbatch_args["no-requeue"] = True
    return sbatch_args


def _mem(gb: float) -> str:
    return f"{int(gb)}G" if gb == int(gb) else f"{int(gb * 1024)}M"


def _count(node: Any, key: str, default: int, minimum: int = 1) -> int:
    value = node.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"compute.{key} must be a whole number ≥ {minimum}, got {value!r}")
    return value


def settings_from(node: Any) -> SlurmSettings:
    """Check the ``compute`` node (DictConfig or dict); ConfigError on a mistake."""
    settings = SlurmSettings(
        node_count=_count(node, "node_count", 1),
        process_count_per_node=_count(node, "process_count_per_node", 1),
        gpus_per_node=_count(node, "gpus_per_node", 0, minimum=0),
        cpus_per_task=_count(node, "cpus_per_task", 1),
    )
    partition = node.get("partition")
    if partition is not None and (not isinstance(partition, str) or not partition.strip()):
        raise ConfigError(f"compute.partition must be a partition name, got {partition!r}")
    settings.partition = partition
    mem = node.get("mem_gb")
    if mem is not None and (isinstance(mem, bool) or not isinstance(mem, (int, float)) or mem <= 0):
        raise ConfigError(f"compute.mem_gb must be a positive number of GB, got {mem!r}")
    settings.mem_gb = mem
    time = node.get("time")
    if time is not None:
        if isinstance(time, bool) or not _TIME.fullmatch(str(time)):
            raise ConfigError(
                f"compute.time must be minutes or a Slurm time like 2:00:00 or 1-00:00:00, "
                f"got {time!r}"
            )
        time = str(time)
    settings.time = time
    extra = node.get("sbatch_args") or {}
    if not hasattr(extra, "items"):
        raise ConfigError(
            f"compute.sbatch_args must be a mapping like {{qos: high}}, got {extra!r}"
        )
    settings.sbatch_args = {str(k).lstrip("-").replace("_", "-"): v for k, v in extra.items()}
    from harness.contract.compute_kit import string_list

    settings.srun_args = string_list(node, "srun_args")
    mpi = node.get("mpi", "pmix")
    settings.mpi = str(mpi) if mpi else None
    name = node.get("job_name")
    settings.job_name = str(name) if name else None
    poll = node.get("poll_interval", 1.0)
    if isinstance(poll, bool) or not isinstance(poll, (int, float)) or poll <= 0:
        raise ConfigError(f"compute.poll_interval must be a positive number, got {poll!r}")
    settings.poll_interval = float(poll)
    return settings
