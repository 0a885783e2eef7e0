"""``azureml.core.Datastore``: a harness datastore (``harness datastore ...``)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from azureml._compat import ignored, refuse


class Datastore:
    """v1's Datastore over a harness datastore; ``upload`` and ``path`` return data
    references that a run mounts or downloads (``${datastore:...}``)."""

    def __init__(self, workspace: Any, name: str | None = None) -> None:
        from harness.contract.datastore import get_datastore

        self.workspace = workspace
        self._store = get_datastore(name)
        self.name = self._store.name
        self.datastore_type = {"local": "Local"}.get(self._store.type, self._store.type)
        self.account_name = "local"
        self.container_name = self.name

    @staticmethod
    def get(workspace: Any, datastore_name: str) -> Datastore:
        return Datastore(workspace, datastore_name)

    @staticmethod
    def get_default(workspace: Any) -> Datastore:
        return Datastore(workspace, None)

    @staticmethod
    def register_azure_blob_container(
        workspace: Any, datastore_name: str, *args: Any, **kwargs: Any
    ) -> Any:
        raise refuse(
            "Datastore.register_azure_blob_container",
            "add a folder or fsspec URL with `harness datastore add NAME URL`",
        )

    register_azure_file_share = register_azure_blob_container
    register_azure_data_lake_gen2 = register_azure_blob_container

    # -- data in and out -----------------------------------------------------------
    def upload(
        self,
        src_dir: str,
        target_path: str | None = None,
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> Any:
        self._store.upload(
            src_dir, target_path or "", overwrite=overwrite, show_progress=show_progress
        )
        return self.path(target_path or "")

    def upload_files(
        self,
        files: list[str],
        relative_root: str | None = None,
        target_path: str | None = None,
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> Any:
        """The given files, each under ``target_path`` with its path relative to
        ``relative_root`` (default: its own name), as in v1."""
        with tempfile.TemporaryDirectory(prefix="harness-upload-") as staging:
            for file in files:
                source = Path(file)
                rel = os.path.relpath(source, relative_root) if relative_root else source.name
                if rel.startswith(".."):
                    raise refuse(
                        f"upload_files: '{file}' outside relative_root",
                        "give a relative_root that contains every file",
                    )
                dest = Path(staging) / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, dest)
            self._store.upload(
                staging, target_path or "", overwrite=overwrite, show_progress=show_progress
            )
        return self.path(target_path or "")

    def download(
        self,
        target_path: str,
        prefix: str | None = None,
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> int:
        summary = self._store.download(
            prefix or "", target_path, overwrite=overwrite, show_progress=show_progress
        )
        return int(getattr(summary, "files", 0) or 0)

    # -- references for runs ---------------------------------------------------------
    def path(self, path: str | None = None, data_reference_name: str | None = None) -> Any:
        from harness.sdk.data import DataReference

        return DataReference(self.name, path or "", "mount", data_reference_name)

    def as_mount(self) -> Any:
        return self.path("").as_mount()

    def as_download(self, path_on_compute: str | None = None) -> Any:
        ignored("path_on_compute", path_on_compute, "the job gets the cached copy's path")
        return self.path("").as_download()

    def __str__(self) -> str:
        return str(self.as_mount())

    def __repr__(self) -> str:
        return (
            f"Datastore(name={self.name!r}, type={self.datastore_type!r}, url={self._store.url!r})"
        )
