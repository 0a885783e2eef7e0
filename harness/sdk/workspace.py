"""The workspace: a folder (``HARNESS_HOME``) holding runs, models, sweeps and
datastores. ``Workspace.from_config()`` finds it the way Azure ML found its
``config.json``, so a notebook that starts with it works unchanged."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from harness.errors import ConfigError
from harness.storage.workspace import HOME_ENV, harness_home

CONFIG_NAMES = ("config.json", ".azureml/config.json", "aml_config/config.json")


def find_config(path: str | os.PathLike[str] | None = None) -> Path | None:
    """``config.json`` in ``path`` (a file or folder) or the current folder and its parents."""
    if path is not None:
        start = Path(path).expanduser()
        if start.is_file():
            return start
    else:
        start = Path.cwd()
    for folder in [start, *start.resolve().parents]:
        for name in CONFIG_NAMES:
            if (folder / name).is_file():
                return folder / name
    return None


def home_of(workspace: Any = None) -> Path:
    """The folder of ``workspace``: a ``Workspace``, a path, or None (the current one).
    A path is only read, never made the process's workspace (unlike ``Workspace(home=)``)."""
    if workspace is None:
        return harness_home()
    if isinstance(workspace, (str, os.PathLike)):
        return Path(workspace).expanduser().resolve()
    return Path(workspace.home)


class Workspace:
    """``Workspace()`` is the current workspace (``HARNESS_HOME``, else ``~/.harness``);
    ``Workspace(home=PATH)`` makes ``PATH`` this process's workspace."""

    def __init__(
        self,
        home: str | os.PathLike[str] | None = None,
        name: str | None = None,
        config: dict[str, Any] | None = None,
    ) -> None:
        if home is not None:
            os.environ[HOME_ENV] = str(Path(home).expanduser().resolve())
        self.home = harness_home()
        self.config = dict(config or {})
        self.name = name or self.config.get("workspace_name") or self.home.name

    @classmethod
    def from_config(cls, path: str | os.PathLike[str] | None = None, **_: Any) -> Workspace:
        """Read ``config.json`` if there is one (``harness_home`` there names the
        workspace folder, relative to the file); without one, the current workspace."""
        found = find_config(path)
        if found is None:
            return cls()
        try:
            config = json.loads(found.read_text())
        except ValueError as exc:
            raise ConfigError(f"{found} is not valid JSON ({exc})") from None
        home = config.get("harness_home")
        if home is not None:
            home = (found.parent / str(home)).expanduser()
        return cls(home=home, config=config)

    # -- what lives in it --------------------------------------------------------
    def get_default_datastore(self) -> Any:
        from harness.contract.datastore import get_datastore

        return get_datastore(None, self.home)

    @property
    def datastores(self) -> dict[str, Any]:
        from harness.contract.datastore import get_datastore
        from harness.datastore.settings import configured

        _, stores = configured(self.home)
        return {name: get_datastore(name, self.home) for name in stores}

    @property
    def experiments(self) -> dict[str, Any]:
        from harness.run.index import summaries
        from harness.run.store import RunStore
        from harness.sdk.experiment import Experiment

        records, _ = summaries(RunStore(self.home).root)
        return {r.experiment: Experiment(r.experiment, workspace=self) for r in records}

    @property
    def models(self) -> dict[str, Any]:
        from harness.sdk.model import Model
        from harness.storage.model_registry import ModelRegistry

        registry = ModelRegistry(self.home)
        latest = {n: registry.versions(n) for n in registry.names()}  # damaged: a warning line
        return {n: Model(self, entry=versions[-1]) for n, versions in latest.items() if versions}

    @property
    def sweeps(self) -> dict[str, Any]:
        """Every sweep of the workspace, newest first (``harness sweeps list``)."""
        from harness.sdk.sweep import SweepRun
        from harness.sweeps.store import SweepStore

        return {s.id: SweepRun(s.id, workspace=self) for s in SweepStore(self.home).list()}

    def __repr__(self) -> str:
        return f"Workspace(name={self.name!r}, home={str(self.home)!r})"
