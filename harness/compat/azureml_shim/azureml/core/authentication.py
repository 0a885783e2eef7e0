"""``azureml.core.authentication``: Azure credentials. The local workspace needs
none, so each class is accepted with one warning and carries nothing."""

from __future__ import annotations

from typing import Any

from azureml._compat import warn_once


class AbstractAuthentication:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        warn_once(
            "authentication",
            f"{type(self).__name__} is ignored: the local workspace needs no Azure credentials",
        )

    def get_authentication_header(self) -> dict[str, str]:
        return {}


class InteractiveLoginAuthentication(AbstractAuthentication):
    pass


class ServicePrincipalAuthentication(AbstractAuthentication):
    pass


class AzureCliAuthentication(AbstractAuthentication):
    pass


class MsiAuthentication(AbstractAuthentication):
    pass


class TokenAuthentication(AbstractAuthentication):
    pass


class Audience:
    ARM = "ARM"
    AZUREML = "AZUREML"


__all__ = [
    "AbstractAuthentication",
    "Audience",
    "AzureCliAuthentication",
    "InteractiveLoginAuthentication",
    "MsiAuthentication",
    "ServicePrincipalAuthentication",
    "TokenAuthentication",
]
