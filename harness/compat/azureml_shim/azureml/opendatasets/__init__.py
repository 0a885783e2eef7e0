"""``azureml.opendatasets``: Azure Open Datasets, from a folder of your own.

Azure downloaded these from its blob storage; nothing is downloaded here. Put the
files in the default datastore under ``opendatasets/<name>/`` once, e.g.

    harness datastore upload ./mnist --target opendatasets/mnist

and ``MNIST.get_file_dataset()`` (``.download``, ``.as_mount``, ``.to_path``) or
``Diabetes.get_tabular_dataset().to_pandas_dataframe()`` work as in v1, in a
notebook and inside jobs. Without the files each says, in one line, where to put
them. Any other dataset class (``NycTlcGreen``, ...) works the same way, with its
lower-case name as the folder.
"""

from __future__ import annotations

from typing import Any

from azureml._compat import refuse

FOLDER = "opendatasets"


class _OpenDataset:
    #: The folder under ``opendatasets/`` in the default datastore.
    folder = ""
    #: What v1 delivered, for the message when the folder is empty.
    files = "its files"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    @classmethod
    def _path(cls) -> str:
        return f"{FOLDER}/{cls.folder or cls.__name__.lower()}"

    @classmethod
    def _missing(cls) -> Exception:
        path = cls._path()
        return refuse(
            f"azureml.opendatasets.{cls.__name__} (a download from Azure Open Datasets)",
            f"put {cls.files} into the default datastore under {path}/ "
            f"(harness datastore upload FOLDER --target {path})",
        )

    @classmethod
    def get_file_dataset(cls, enable_telemetry: bool = True) -> Any:
        from azureml.core.dataset import Dataset
        from harness.errors import HarnessError

        try:
            found = Dataset.File.from_files((None, cls._path()))
            if not found.to_path():
                raise cls._missing()
        except HarnessError as exc:
            if isinstance(exc, type(cls._missing())):
                raise
            raise cls._missing() from None
        return found

    @classmethod
    def get_tabular_dataset(cls, enable_telemetry: bool = True, **_: Any) -> Any:
        from azureml.core.dataset import Dataset
        from harness.errors import HarnessError

        try:
            found = Dataset.Tabular.from_delimited_files((None, cls._path()))
            found.to_pandas_dataframe()  # no delimited files: the one-line answer below
        except HarnessError:
            raise cls._missing() from None
        return found

    def to_pandas_dataframe(self) -> Any:
        return self.get_tabular_dataset().to_pandas_dataframe()


class MNIST(_OpenDataset):
    folder = "mnist"
    files = (
        "the four MNIST files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
        "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz)"
    )


class Diabetes(_OpenDataset):
    folder = "diabetes"
    files = "a CSV with a header row (AGE, SEX, BMI, BP, S1 ... S6, Y)"


def __getattr__(name: str) -> Any:
    """Any other open dataset class: the same lookup, in ``opendatasets/<name>/``."""
    if name.startswith("_") or not name[:1].isupper():
        raise AttributeError(f"module 'azureml.opendatasets' has no attribute '{name}'")
    return type(name, (_OpenDataset,), {"folder": name.lower()})


__all__ = ["Diabetes", "MNIST"]
