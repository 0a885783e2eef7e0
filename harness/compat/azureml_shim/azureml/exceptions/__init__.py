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


class ActivityFailedException(AzureMLException):
    """``wait_for_completion`` on a run (or sweep) that did not complete (what
    harness.sdk raises as ``RunFailedError``)."""

    exit_code = 1


class DatasetTimestampMissingError(AzureMLException):
    pass


__all__ = [
    "ActivityFailedException",
    "AzureMLException",
    "DatasetTimestampMissingError",
    "ComputeTargetException",
    "UserErrorException",
    "WebserviceException",
]
