"""v1's ``AksWebservice``: its deployments run here as local services (one warning).

As in v1, an AKS service requires its key unless ``auth_enabled=False``."""

from __future__ import annotations

from typing import Any

from azureml.core.webservice.webservice import DeploymentConfiguration, Webservice


class AksServiceDeploymentConfiguration(DeploymentConfiguration):
    compute_type = "AKS"


class AksWebservice(Webservice):
    _compute_type = "AKS"

    @staticmethod
    def deploy_configuration(
        autoscale_enabled: bool | None = None,
        cpu_cores: float | None = None,
        memory_gb: float | None = None,
        auth_enabled: bool | None = None,
        tags: dict[str, Any] | None = None,
        description: str | None = None,
        num_replicas: int | None = None,
        primary_key: str | None = None,
        **_: Any,
    ) -> DeploymentConfiguration:
        return AksServiceDeploymentConfiguration(
            autoscale_enabled=autoscale_enabled, cpu_cores=cpu_cores, memory_gb=memory_gb,
            auth_enabled=True if auth_enabled is None else auth_enabled, tags=tags,
            description=description, num_replicas=num_replicas, primary_key=primary_key,
        )  # fmt: skip


__all__ = ["AksServiceDeploymentConfiguration", "AksWebservice"]
