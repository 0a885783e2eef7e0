"""``azureml.core.runconfig``: RunConfiguration and the distributed configurations."""

from __future__ import annotations

from typing import Any

from azureml._compat import ignored, refuse
from azureml.core.conda_dependencies import CondaDependencies
from harness.sdk.configs import MpiConfiguration as _NativeMpi

#: v1's default Docker images: names only (jobs run without Docker here).
DEFAULT_CPU_IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04"
DEFAULT_GPU_IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-cuda11.1-cudnn8-ubuntu20.04"

__all__ = [
    "DEFAULT_CPU_IMAGE",
    "DEFAULT_GPU_IMAGE",
    "CondaDependencies",
    "DockerConfiguration",
    "MpiConfiguration",
    "PyTorchConfiguration",
    "RunConfiguration",
    "TensorflowConfiguration",
]


class MpiConfiguration(_NativeMpi):
    """v1's MpiConfiguration: ``process_count_per_node`` ranks on each of ``node_count``
    machines. Without hosts (``compute.hosts``) several nodes become ranks on this one."""

    def __init__(self, process_count_per_node: int = 1, node_count: int = 1, **_: Any) -> None:
        super().__init__(process_count_per_node, node_count)

    def to_overrides(self) -> list[str]:
        return local_mpi(self.process_count_per_node, self.node_count)


def local_mpi(process_count_per_node: int, node_count: int) -> list[str]:
    from azureml._compat import warn_once
    from harness.sdk.configs import MpiConfiguration as Native

    if node_count > 1:
        warn_once(
            "node_count",
            f"node_count={node_count}: no cluster here, so the "
            f"{node_count * process_count_per_node} ranks run on this machine "
            "(name machines with MpiConfiguration(hosts=[...]) in harness.sdk)",
        )
        return Native(node_count * process_count_per_node, 1).to_overrides()
    return Native(process_count_per_node, 1).to_overrides()


class PyTorchConfiguration:
    def __init__(
        self,
        communication_backend: str = "Nccl",
        process_count: int | None = None,
        node_count: int = 1,
    ) -> None:
        raise refuse(
            "PyTorchConfiguration (torch.distributed launch)",
            "use MpiConfiguration(process_count_per_node=N); each rank gets "
            "RANK/WORLD_SIZE from MPI",
        )


class TensorflowConfiguration(PyTorchConfiguration):
    pass


class DockerConfiguration:
    def __init__(self, use_docker: bool = False, **_: Any) -> None:
        ignored("use_docker", use_docker, "jobs run as local processes, without Docker")
        self.use_docker = use_docker


class RunConfiguration:
    """The run settings of v1: ``environment``, ``target``, ``node_count`` and
    ``mpi``/``communicator``; the rest (``docker``, ``history``…) is accepted."""

    def __init__(
        self,
        script: str | None = None,
        arguments: list[Any] | None = None,
        framework: str | None = None,
        communicator: str | None = None,
        conda_dependencies: Any = None,
        _history_enabled: Any = None,
        _path: Any = None,
        _name: Any = None,
        command: Any = None,
    ) -> None:
        from azureml.core.environment import Environment

        self.script = script
        self.arguments = list(arguments or [])
        self.framework = framework or "Python"
        self.communicator = communicator or "None"
        self.target = "local"
        self.node_count = 1
        self.mpi = MpiConfiguration()
        self.environment = Environment("harness-run-env")
        self.docker = DockerConfiguration()
        self.max_run_duration_seconds: Any = None
        self.history: Any = None
        self.data: dict[str, Any] = {}
        self.data_references: dict[str, Any] = {}
        self.environment_variables: dict[str, str] = {}
        if conda_dependencies is not None:
            self.environment.python.conda_dependencies = conda_dependencies

    def distributed(self) -> Any:
        if (
            str(self.communicator).lower() in ("intelmpi", "openmpi", "mpi")
            or (self.node_count > 1 or self.mpi.process_count_per_node > 1)
            and self.communicator != "None"
        ):
            return MpiConfiguration(
                self.mpi.process_count_per_node, max(self.node_count, self.mpi.node_count)
            )
        return None

    def save(self, *args: Any, **kwargs: Any) -> None:
        ignored("RunConfiguration.save", True, "the run's config is saved in its run record")

    @staticmethod
    def load(*args: Any, **kwargs: Any) -> Any:
        raise refuse("RunConfiguration.load", "build the RunConfiguration in Python")
