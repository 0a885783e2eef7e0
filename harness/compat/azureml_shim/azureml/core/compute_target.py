"""``azureml.core.compute_target``: the exception v1 code catches."""

from azureml.exceptions import ComputeTargetException

__all__ = ["ComputeTargetException"]
