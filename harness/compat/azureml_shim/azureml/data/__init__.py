"""``azureml.data``: the dataset and data-reference types."""

from azureml.core.dataset import FileDataset, TabularDataset
from harness.sdk.data import DataReference

__all__ = ["DataReference", "FileDataset", "TabularDataset"]
