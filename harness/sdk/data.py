"""Data inputs of a run: a datastore path to mount or download, and datasets.

A :class:`DataReference` becomes the ``${datastore:NAME:PATH,MODE}`` interpolation
in the run's config, so the driver resolves it (a missing path is a one-line error
before anything runs) and records it in the run's provenance, exactly as when a
user types it after ``harness train``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from harness.errors import ConfigError
from harness.sdk.overrides import Interpolation


class DataReference:
    """``datastore.path('x').as_mount()``, ``dataset.as_named_input('n').as_download()``."""

    def __init__(
        self, datastore: str | None, path: str = "", mode: str = "mount", name: str | None = None
    ) -> None:
        from harness.datastore.paths import normalize_key

        self.datastore = datastore
        self.path = normalize_key(path, allow_root=True)
        self.mode = mode
        self.name = name

    def as_mount(self, path_on_compute: str | None = None) -> DataReference:
        return DataReference(self.datastore, self.path, "mount", self.name)

    def as_download(
        self, path_on_compute: str | None = None, overwrite: bool = False
    ) -> DataReference:
        return DataReference(self.datastore, self.path, "download", self.name)

    def as_named_input(self, name: str) -> DataReference:
        return DataReference(self.datastore, self.path, self.mode, name)

    def to_config_value(self) -> Interpolation:
        spec = f"{self.datastore}:{self.path}" if self.datastore else self.path
        return Interpolation("${datastore:" + spec + "," + self.mode + "}")

    def local_path(self) -> Path:
        """Resolve it here and now (what the job will see)."""
        from harness.contract.datastore import get_datastore

        return get_datastore(self.datastore).path(self.path, self.mode)

    def __str__(self) -> str:
        return str(self.to_config_value())

    def __repr__(self) -> str:
        return f"DataReference({self.datastore or 'default'}:{self.path or '/'}, {self.mode})"


class FileDataset(DataReference):
    """Files under one datastore path (Azure ML's ``Dataset.File.from_files``)."""

    def to_path(self) -> list[str]:
        root = self.local_path()
        if root.is_file():
            return ["/" + root.name]
        return sorted("/" + p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())

    def download(self, target_path: str | None = None, overwrite: bool = False) -> list[str]:
        from harness.contract.datastore import get_datastore

        target = Path(target_path or ".")
        get_datastore(self.datastore).download(
            self.path, target, overwrite=overwrite, show_progress=False
        )
        return [str(target / p.lstrip("/")) for p in self.to_path()]

    def mount(self, mount_point: str | None = None) -> Any:
        """A context whose ``mount_point`` is the local path (local datastores need no mount)."""
        from contextlib import nullcontext
        from types import SimpleNamespace

        return nullcontext(SimpleNamespace(mount_point=str(self.local_path())))


class TabularDataset(DataReference):
    """Delimited files under a datastore path (``Dataset.Tabular.from_delimited_files``)."""

    def __init__(
        self, *args: Any, separator: str = ",", header: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.separator, self.header = separator, header

    def to_pandas_dataframe(self) -> Any:
        import pandas as pd

        root = self.local_path()
        files = (
            [root]
            if root.is_file()
            else sorted(
                p for p in root.rglob("*") if p.is_file() and p.suffix in (".csv", ".tsv", ".txt")
            )
        )
        if not files:
            raise ConfigError(f"no delimited files under datastore path '{self.path}'")
        frames = [
            pd.read_csv(f, sep=self.separator, header=0 if self.header else None) for f in files
        ]
        return pd.concat(frames, ignore_index=True)


def _one_path(path: Any) -> tuple[str | None, str]:
    """``(datastore, 'p')``, a DataReference, or ``'datastore_name/p'`` style tuples."""
    if isinstance(path, list):
        if len(path) != 1:
            raise ConfigError(
                "give one datastore path per dataset (a list of several is not supported)"
            )
        path = path[0]
    if isinstance(path, DataReference):
        return path.datastore, path.path
    if isinstance(path, tuple) and len(path) == 2:
        store, sub = path
        return (getattr(store, "name", None) or (str(store) if store else None)), str(sub)
    if isinstance(path, (str, os.PathLike)):
        raise ConfigError(
            f"dataset path {str(path)!r}: give (datastore, 'path/in/datastore'); upload local "
            "files first with datastore.upload(src_dir, target_path)"
        )
    raise ConfigError(f"dataset path {path!r}: give (datastore, 'path/in/datastore')")


class _FileFactory:
    @staticmethod
    def from_files(path: Any, validate: bool = True, **_: Any) -> FileDataset:
        store, sub = _one_path(path)
        dataset = FileDataset(store, sub)
        if validate:
            dataset.local_path()  # a missing path is an error now, as in v1
        return dataset


class _TabularFactory:
    @staticmethod
    def from_delimited_files(
        path: Any, validate: bool = True, separator: str = ",", header: Any = True, **_: Any
    ) -> TabularDataset:
        store, sub = _one_path(path)
        dataset = TabularDataset(store, sub, separator=separator, header=bool(header))
        if validate:
            dataset.local_path()
        return dataset


class Dataset:
    """``Dataset.File.from_files((datastore, 'path'))``, ``Dataset.Tabular.from_delimited_files``."""

    File = _FileFactory
    Tabular = _TabularFactory
