"""``azureml.core`` as the harness shims it: only ``Run``."""

from azureml.core.run import Run

__all__ = ["Run"]
