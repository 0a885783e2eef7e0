"""``azureml.core.Dataset``: ``Dataset.File.from_files`` and
``Dataset.Tabular.from_delimited_files`` over datastore paths."""

from __future__ import annotations

from typing import Any

from azureml._compat import refuse, warn_once
from harness.sdk import data as native


class _Registrable:
    def register(self, workspace: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        warn_once(
            "ds-register",
            "datasets are not registered here; a dataset is its "
            "datastore path: keep using the object",
        )
        return self


class FileDataset(_Registrable, native.FileDataset):
    pass


class TabularDataset(_Registrable, native.TabularDataset):
    pass


class _File:
    @staticmethod
    def from_files(path: Any, validate: bool = True, **kwargs: Any) -> FileDataset:
        made = native.Dataset.File.from_files(path, validate=validate, **kwargs)
        return FileDataset(made.datastore, made.path, made.mode, made.name)


class _Tabular:
    @staticmethod
    def from_delimited_files(
        path: Any, validate: bool = True, separator: str = ",", header: Any = True, **kwargs: Any
    ) -> TabularDataset:
        made = native.Dataset.Tabular.from_delimited_files(
            path, validate, separator, header, **kwargs
        )
        return TabularDataset(
            made.datastore,
            made.path,
            made.mode,
            made.name,
            separator=made.separator,
            header=made.header,
        )


class Dataset:
    File = _File
    Tabular = _Tabular

    @staticmethod
    def get_by_name(workspace: Any, name: str, version: Any = "latest") -> Any:
        raise refuse(
            "Dataset.get_by_name (registered datasets)",
            "use Dataset.File.from_files((datastore, 'path')) on a datastore path",
        )


__all__ = ["Dataset", "FileDataset", "TabularDataset"]
