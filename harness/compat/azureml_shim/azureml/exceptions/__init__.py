"""``azureml.exceptions``: the v1 exception names, as harness errors."""

from azureml._compat import UnsupportedError
from harness.errors import HarnessError, NotFoundError


class AzureMLException(HarnessError):
    pass


class UserErrorException(AzureMLException):
    pass


class ComputeTargetException(NotFoundError):
    pass


class WebserviceException(UnsupportedError):
    pass


__all__ = [
    "AzureMLException",
    "ComputeTargetException",
    "UserErrorException",
    "WebserviceException",
]
