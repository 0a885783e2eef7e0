"""Registered models: ``Model(workspace, name, version)``, ``Model.register``,
``Model.get_model_path``, ``model.download`` (the ``harness models`` registry)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.errors import ConfigError, NotFoundError, warn_once
from harness.storage.model_records import damaged_version
from harness.storage.model_registry import ModelRegistry, ModelVersion, download


def model_json(entry: ModelVersion) -> dict[str, Any]:
    """A version as `harness models show --format json` prints it."""
    from harness.storage.model_formats import describe_files

    data = entry.to_json()
    data["path"] = entry.path
    # pickle-based formats run code when loaded: said where a user decides to load them
    data["formats"] = describe_files(Path(entry.path) / "files", sorted(entry.files))
    return data


def model_list_item(registry: ModelRegistry, name: str) -> dict[str, Any]:
    """One entry of `harness models list --format json`: a name and all its versions,
    oldest first. A version whose model.json cannot be read is an item
    ``{"name", "version", "status": "Damaged", "damaged": true, "path", "error"}``
    (and one warning line), never missing."""
    found, damaged = registry.scan(name)
    versions = [(entry.version, model_json(entry)) for entry in found]
    for problem in damaged:
        warn_once(str(problem))
        number = damaged_version(problem)
        versions.append((number, {"name": name, "version": number, **problem.to_json()}))
    return {"name": name, "versions": [item for _, item in sorted(versions, key=lambda v: v[0])]}


def list_models(name: str | None = None, workspace: Any = None) -> list[dict[str, Any]]:
    """Every registered model, or the one ``name``, with its versions, damaged ones
    included (``harness models list --format json``); ``workspace`` a ``Workspace``,
    a path, or None (the current one)."""
    from harness.sdk.workspace import home_of

    registry = ModelRegistry(home_of(workspace))
    names = registry.names()
    if name is not None:
        if name not in names:
            registry.get(name)  # a malformed name, or the line naming the models there are
            raise NotFoundError(f"no model '{name}'")
        names = [name]
    return [model_list_item(registry, n) for n in names]


class Model:
    """One version of a registered model."""

    def __init__(
        self,
        workspace: Any = None,
        name: str | None = None,
        id: str | None = None,
        tags: Any = None,
        properties: Any = None,
        version: int | None = None,
        run_id: str | None = None,
        *,
        entry: ModelVersion | None = None,
        **_: Any,
    ) -> None:
        from harness.sdk.workspace import Workspace

        self.workspace = workspace or Workspace()
        if entry is None:
            if id is not None:
                name, _sep, ver = str(id).partition(":")
                version = int(ver) if ver else version
            if not name:
                raise ConfigError("Model(workspace, name, version) needs the model's name")
            ref = f"{name}:{int(version)}" if version is not None else str(name)
            entry = ModelRegistry(self.workspace.home).get(ref)
        self._entry = entry

    # -- what v1 scripts read ---------------------------------------------------
    name = property(lambda self: self._entry.name)
    version = property(lambda self: self._entry.version)
    id = property(lambda self: f"{self._entry.name}:{self._entry.version}")
    tags = property(lambda self: dict(self._entry.tags))
    properties = property(lambda self: dict(self._entry.properties))
    description = property(lambda self: self._entry.description)
    run_id = property(lambda self: self._entry.run_id or None)
    created_time = property(lambda self: self._entry.created)
    path = property(lambda self: self._entry.path)

    @property
    def url(self) -> str:
        """Where the model's files are (v1 gave a blob URL)."""
        return (Path(self._entry.path) / "files").as_uri()

    def serialize(self) -> dict[str, Any]:
        data = self._entry.to_json()
        data["id"], data["url"] = self.id, self.url
        return data

    def as_json(self) -> dict[str, Any]:
        return self.serialize()

    # -- class methods -----------------------------------------------------------
    @staticmethod
    def register(
        workspace: Any,
        model_path: str | os.PathLike[str],
        model_name: str,
        tags: dict[str, Any] | None = None,
        properties: dict[str, Any] | None = None,
        description: str | None = None,
        **_ignored: Any,
    ) -> Model:
        """Register a local file or folder as the next version of ``model_name``."""
        entry = ModelRegistry(workspace.home).register_path(
            model_name,
            model_path,
            tags={str(k): str(v) for k, v in (tags or {}).items()},
            properties={str(k): str(v) for k, v in (properties or {}).items()},
            description=description or "",
        )
        return Model(workspace, entry=entry)

    @staticmethod
    def list(workspace: Any, name: str | None = None, **_: Any) -> list[Model]:
        registry = ModelRegistry(workspace.home)
        names = [name] if name else registry.names()
        return [Model(workspace, entry=e) for n in names for e in reversed(registry.versions(n))]

    @staticmethod
    def get_model_path(model_name: str, version: int | None = None, _workspace: Any = None) -> str:
        """The local path of the model's file (a single file) or folder. Inside a web
        service (a score.py), the service's verified copy, as v1 found it under
        ``AZUREML_MODEL_DIR``."""
        from harness.serve.staging import deployed_model_path

        deployed = deployed_model_path(model_name, version)
        if deployed is not None:
            return deployed
        model = Model(_workspace, model_name, version=version)
        files = Path(model.path) / "files"
        names = list(model._entry.files)
        if len(names) == 1 and (files / names[0]).is_file():
            return str(files / names[0])
        return str(files)

    @staticmethod
    def deploy(
        workspace: Any, name: str, models: Sequence[Any], wait: bool = True, **options: Any
    ) -> Any:
        """Serve ``models`` (``Model`` objects or ``NAME[:VERSION|@ALIAS]``) as the web
        service ``name``; ``options`` as ``harness.sdk.service.deploy`` (entry_script,
        source_directory, environment, host, port, workers, ...). Returns its
        ``Webservice``, ``Healthy`` unless ``wait=False``."""
        from harness.sdk.service import deploy

        refs = [m if isinstance(m, str) else f"{m.name}:{m.version}" for m in models]
        return deploy(name, refs, workspace=workspace, wait=wait, **options)

    def download(self, target_dir: str = ".", exist_ok: bool = False, **_: Any) -> str:
        target = Path(target_dir).expanduser()
        target.mkdir(parents=True, exist_ok=True)
        names = list(self._entry.files)
        if exist_ok and len(names) == 1 and (target / names[0]).exists():
            (target / names[0]).unlink()
        return str(download(self._entry, target))

    def set_alias(self, alias: str) -> Model:
        """Point ``alias`` (e.g. ``production``) at this version (``harness models alias``)."""
        self._entry = ModelRegistry(self.workspace.home).set_alias(self.name, self.version, alias)
        return self

    def delete(self) -> None:
        """Delete this version (``harness models delete NAME:VERSION``)."""
        ModelRegistry(self.workspace.home).delete(self.name, self.version)

    def add_tags(self, tags: dict[str, Any]) -> None:
        raise ConfigError("model tags are fixed at registration here; register a new version")

    def __repr__(self) -> str:
        return f"Model(name={self.name!r}, version={self.version}, id={self.id!r})"
