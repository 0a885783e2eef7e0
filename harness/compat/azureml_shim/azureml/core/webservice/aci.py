"""v1's ``AciWebservice``: its deployments run here as local services (one warning)."""

from __future__ import annotations

from typing import Any

from azureml.core.webservice.webservice import DeploymentConfiguration, Webservice


class AciServiceDeploymentConfiguration(DeploymentConfiguration):
    compute_type = "ACI"


class AciWebservice(Webservice):
    _compute_type = "ACI"

    @staticmethod
    def deploy_configuration(
        cpu_cores: float | None = None,
        memory_gb: float | None = None,
        tags: dict[str, Any] | None = None,
        properties: dict[str, Any] | None = None,
        description: str | None = None,
        location: str | None = None,
        auth_enabled: bool | None = None,
        ssl_enabled: bool | None = None,
        enable_app_insights: bool | None = None,
        dns_name_label: str | None = None,
        primary_key: str | None = None,
        **_: Any,
    ) -> DeploymentConfiguration:
        return AciServiceDeploymentConfiguration(
            cpu_cores=cpu_cores, memory_gb=memory_gb, tags=tags, description=description,
            location=location, auth_enabled=auth_enabled, primary_key=primary_key,
        )  # fmt: skip


__all__ = ["AciServiceDeploymentConfiguration", "AciWebservice"]
