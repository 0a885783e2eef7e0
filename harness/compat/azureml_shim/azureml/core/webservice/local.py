"""v1's ``LocalWebservice``: a service on this machine."""

from __future__ import annotations

from typing import Any

from azureml.core.webservice.webservice import DeploymentConfiguration, Webservice


class LocalWebserviceDeploymentConfiguration(DeploymentConfiguration):
    compute_type = "Local"


class LocalWebservice(Webservice):
    _compute_type = "Local"

    @staticmethod
    def deploy_configuration(port: int | None = None, **_: Any) -> DeploymentConfiguration:
        return LocalWebserviceDeploymentConfiguration(port=port)


__all__ = ["LocalWebservice", "LocalWebserviceDeploymentConfiguration"]
