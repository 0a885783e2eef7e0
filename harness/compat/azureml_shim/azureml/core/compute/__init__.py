"""``azureml.core.compute``: named compute targets.

Locally a compute target is a name for *this machine*: ``ComputeTarget.create``
records the name (in ``$HARNESS_HOME/computes.json``) so that v1's "create it if it
is missing" cells work, and a run that names it runs with the ``local`` compute,
or under ``mpi`` when its run config asks for several processes. VM sizes, node
counts and scaling have no local meaning and are kept as labels.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from azureml._compat import Details, missing_names, refuse, warn_once
from azureml.exceptions import ComputeTargetException

COMPUTES_FILE = "computes.json"
#: Names that always exist: the local machine (v1's 'local' run config target).
BUILT_IN = ("local",)


def _path(workspace: Any) -> Path:
    return Path(workspace.home) / COMPUTES_FILE


def _load(workspace: Any) -> dict[str, Any]:
    path = _path(workspace)
    if not path.is_file():
        return {}
    return json.loads(path.read_text())


def _save(workspace: Any, data: dict[str, Any]) -> None:
    from filelock import FileLock

    from harness.storage.workspace import atomic_write_json

    with FileLock(str(_path(workspace)) + ".lock"):
        atomic_write_json(_path(workspace), data)


def saved_computes(workspace: Any) -> dict[str, Any]:
    return {name: AmlCompute(workspace, name) for name in _load(workspace)}


class _Status:
    def __init__(self, target: ComputeTarget) -> None:
        self.provisioning_state = "Succeeded"
        self.current_node_count = 1
        self._target = target

    def serialize(self) -> Details:
        return Details(
            name=self._target.name,
            provisioningState="Succeeded",
            currentNodeCount=1,
            vmSize=self._target.vm_size,
            note="local machine (harness)",
        )


class ComputeTarget:
    """A named compute: the local machine."""

    type = "AmlCompute"

    def __new__(cls, workspace: Any = None, name: str | None = None) -> Any:
        return super().__new__(cls)

    def __init__(self, workspace: Any, name: str) -> None:
        saved = _load(workspace)
        if name not in saved and name not in BUILT_IN:
            raise ComputeTargetException(
                f"ComputeTargetNotFound: compute target '{name}' not found in the workspace; "
                "create it with ComputeTarget.create(ws, name, AmlCompute.provisioning_configuration())"
            )
        self.workspace = workspace
        self.name = name
        self.vm_size = saved.get(name, {}).get("vm_size", "local")
        self.provisioning_state = "Succeeded"

    @staticmethod
    def create(workspace: Any, name: str, provisioning_configuration: Any) -> ComputeTarget:
        if not isinstance(provisioning_configuration, AmlComputeProvisioningConfiguration):
            raise refuse(
                f"{type(provisioning_configuration).__name__} computes",
                "use AmlCompute.provisioning_configuration(): it names this machine",
            )
        warn_once(
            "compute-create",
            f"compute target '{name}' is this machine; VM size and node counts are labels only",
        )
        data = _load(workspace)
        data[name] = provisioning_configuration.as_dict()
        _save(workspace, data)
        return AmlCompute(workspace, name)

    @staticmethod
    def attach(*args: Any, **kwargs: Any) -> Any:
        raise refuse(
            "ComputeTarget.attach",
            "run on this machine, or name MPI hosts with "
            "MpiConfiguration(hosts=[...]) in harness.sdk",
        )

    @staticmethod
    def list(workspace: Any) -> list[ComputeTarget]:
        return list(saved_computes(workspace).values())

    def wait_for_completion(
        self,
        show_output: bool = False,
        min_node_count: Any = None,
        timeout_in_minutes: int = 20,
        is_delete_operation: bool = False,
    ) -> None:
        if show_output:
            print("Succeeded")
            print("AmlCompute wait for completion finished (the local machine)")

    def get_status(self) -> _Status:
        return _Status(self)

    @property
    def status(self) -> _Status:
        return _Status(self)

    def delete(self) -> None:
        data = _load(self.workspace)
        data.pop(self.name, None)
        _save(self.workspace, data)

    def detach(self) -> None:
        self.delete()

    def serialize(self) -> Details:
        return self.get_status().serialize()

    def compute_overrides(self) -> list[str]:
        return ["compute=local"]

    def __repr__(self) -> str:
        return f"AmlCompute(name={self.name!r}, local machine)"


class AmlComputeProvisioningConfiguration:
    def __init__(self, **settings: Any) -> None:
        self.settings = {k: v for k, v in settings.items() if v is not None}

    def as_dict(self) -> dict[str, Any]:
        return {
            k: v if isinstance(v, (int, float, str, bool)) else str(v)
            for k, v in self.settings.items()
        }


class AmlCompute(ComputeTarget):
    @staticmethod
    def provisioning_configuration(
        vm_size: str = "",
        vm_priority: str = "dedicated",
        min_nodes: int = 0,
        max_nodes: Any = None,
        idle_seconds_before_scaledown: Any = None,
        admin_username: Any = None,
        admin_user_password: Any = None,
        admin_user_ssh_key: Any = None,
        vnet_resourcegroup_name: Any = None,
        vnet_name: Any = None,
        subnet_name: Any = None,
        tags: Any = None,
        description: Any = None,
        remote_login_port_public_access: Any = None,
        identity_type: Any = None,
        identity_id: Any = None,
        location: Any = None,
        enable_node_public_ip: Any = True,
    ) -> Any:
        return AmlComputeProvisioningConfiguration(
            vm_size=vm_size,
            vm_priority=vm_priority,
            min_nodes=min_nodes,
            max_nodes=max_nodes,
            description=description,
        )

    @staticmethod
    def supported_vmsizes(workspace: Any, location: Any = None) -> list[dict[str, Any]]:
        return [{"name": "local", "vCPUs": __import__("os").cpu_count(), "gpus": 0}]


class ComputeInstance(ComputeTarget):
    @staticmethod
    def provisioning_configuration(*args: Any, **kwargs: Any) -> Any:
        raise refuse("ComputeInstance", "your machine is the compute instance; run here")


#: The workspace of the submission being built (``Experiment.submit``): a target
#: named by a string is looked up among its computes (ScriptRunConfig does not
#: know the workspace; v1 resolved the name at submit).
_SUBMITTING: ContextVar[Any] = ContextVar("azureml_submitting_workspace", default=None)


@contextlib.contextmanager
def submitting_to(workspace: Any) -> Iterator[None]:
    token = _SUBMITTING.set(workspace)
    try:
        yield
    finally:
        _SUBMITTING.reset(token)


def as_compute(target: Any) -> Any:
    """A run config's target → what harness.sdk takes (None: the default, local)."""
    if target is None or isinstance(target, ComputeTarget):
        return target
    if isinstance(target, str):
        if target in ("local", "mpi"):
            return target
        workspace = _SUBMITTING.get()
        if workspace is not None and target in _load(workspace):
            return AmlCompute(workspace, target)  # created with ComputeTarget.create
        warn_once(
            f"compute:{target}",
            f"compute target '{target}' is not defined here; the run uses this machine",
        )
        return None
    return target


__all__ = ["AmlCompute", "ComputeInstance", "ComputeTarget", "ComputeTargetException"]

#: Remote computes of v1 that have no local counterpart.
__getattr__ = missing_names(
    __name__,
    dict.fromkeys(
        (
            "RemoteCompute",
            "HDInsightCompute",
            "AksCompute",
            "DatabricksCompute",
            "KubernetesCompute",
            "SynapseCompute",
            "DataFactoryCompute",
            "AdlaCompute",
            "BatchCompute",
            "KustoCompute",
        ),  # fmt: skip
        "run on this machine (an AmlCompute name means it), or on MPI hosts, Slurm or "
        "Ray with harness's computes (docs/cluster.md)",
    ),
)
