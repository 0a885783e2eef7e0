"""``azureml.data``: the dataset and data-reference types."""

from azureml._compat import missing_names
from azureml.core.dataset import FileDataset, TabularDataset
from harness.sdk.data import DataReference

__all__ = ["DataReference", "FileDataset", "TabularDataset"]

__getattr__ = missing_names(
    __name__,
    dict.fromkeys(
        ("OutputFileDatasetConfig", "OutputTabularDatasetConfig", "OutputDatasetConfig"),
        "write the job's results to ./outputs (kept with the run), or upload them to a "
        "datastore path afterwards (run.upload_folder, Datastore.upload)",
    ),
)
