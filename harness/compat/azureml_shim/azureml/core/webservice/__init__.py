"""``azureml.core.webservice``: local web services (``harness models serve``).

``LocalWebservice`` is what it was in v1: a service on this machine. ACI and AKS
deployment configurations are accepted and deployed the same way, locally, with one
warning saying so (their ``cpu_cores``/``memory_gb`` are kept as labels; their
``auth_enabled`` makes the service require its key). See docs/serving.md.
"""

from azureml.core.webservice.aci import AciServiceDeploymentConfiguration, AciWebservice
from azureml.core.webservice.aks import AksServiceDeploymentConfiguration, AksWebservice
from azureml.core.webservice.local import (
    LocalWebservice,
    LocalWebserviceDeploymentConfiguration,
)
from azureml.core.webservice.webservice import Webservice

__all__ = [
    "AciServiceDeploymentConfiguration",
    "AciWebservice",
    "AksServiceDeploymentConfiguration",
    "AksWebservice",
    "LocalWebservice",
    "LocalWebserviceDeploymentConfiguration",
    "Webservice",
]
