"""``azureml.core.Workspace``: the harness workspace folder (``HARNESS_HOME``)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from azureml._compat import Details, ignored, warn_once


class Workspace:
    """v1's Workspace. ``from_config()`` reads ``config.json`` when there is one
    (its ``harness_home`` key, relative to the file, names the folder); the
    subscription and resource group are kept as labels only."""

    def __init__(
        self,
        subscription_id: str | None = None,
        resource_group: str | None = None,
        workspace_name: str | None = None,
        auth: Any = None,
        _location: Any = None,
        _native: Any = None,
        **kwargs: Any,
    ) -> None:
        from harness.sdk.workspace import Workspace as Native

        ignored("auth", auth, "the local workspace needs no credentials")
        if _native is None:
            if subscription_id:
                warn_once(
                    "subscription",
                    "an Azure subscription has no meaning locally; "
                    "using the harness workspace folder",
                )
            _native = Native()
        self._native = _native
        config = _native.config
        self.subscription_id = subscription_id or config.get("subscription_id") or "local"
        self.resource_group = resource_group or config.get("resource_group") or "local"
        self.name = workspace_name or config.get("workspace_name") or _native.name
        self.location = config.get("location") or "local"
        self.sku = "local"

    @property
    def home(self) -> Path:
        return self._native.home

    @staticmethod
    def from_config(
        path: str | None = None,
        auth: Any = None,
        _logger: Any = None,
        _file_name: str | None = None,
    ) -> Workspace:
        from harness.sdk.workspace import Workspace as Native

        ignored("auth", auth, "the local workspace needs no credentials")
        if path is not None and _file_name and Path(path).is_dir():
            path = str(Path(path) / _file_name)
        return Workspace(_native=Native.from_config(path))

    @staticmethod
    def get(
        name: str,
        auth: Any = None,
        subscription_id: str | None = None,
        resource_group: str | None = None,
        **_: Any,
    ) -> Workspace:
        return Workspace(subscription_id, resource_group, name)

    @staticmethod
    def create(
        name: str,
        auth: Any = None,
        subscription_id: str | None = None,
        resource_group: str | None = None,
        location: str | None = None,
        exist_ok: bool = True,
        **_: Any,
    ) -> Workspace:
        warn_once(
            "ws-create",
            "Workspace.create makes nothing in Azure here; the harness "
            "workspace folder is used (HARNESS_HOME, default ~/.harness)",
        )
        return Workspace(subscription_id, resource_group, name)

    def write_config(self, path: str | None = None, file_name: str | None = None) -> None:
        folder = Path(path or ".") / ".azureml"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / (file_name or "config.json")).write_text(
            json.dumps(
                {
                    "subscription_id": self.subscription_id,
                    "resource_group": self.resource_group,
                    "workspace_name": self.name,
                    "harness_home": str(self.home),
                },
                indent=2,
            )
        )

    def get_details(self) -> Details:
        return Details(
            id=str(self.home),
            name=self.name,
            location=self.location,
            resourceGroup=self.resource_group,
            subscriptionId=self.subscription_id,
            harness_home=str(self.home),
        )

    # -- what lives in it -------------------------------------------------------
    def get_default_datastore(self) -> Any:
        from azureml.core.datastore import Datastore

        return Datastore.get_default(self)

    def set_default_datastore(self, name: str) -> None:
        from harness.datastore import settings as registry

        if hasattr(registry, "set_default"):
            registry.set_default(name)
        else:
            warn_once(
                "set-default",
                "set the default datastore with `harness datastore add NAME URL --default`",
            )

    @property
    def datastores(self) -> dict[str, Any]:
        from azureml.core.datastore import Datastore

        return {name: Datastore(self, name) for name in self._native.datastores}

    @property
    def compute_targets(self) -> dict[str, Any]:
        from azureml.core.compute import saved_computes

        return saved_computes(self)

    @property
    def environments(self) -> Any:
        from azureml.core.environment import EnvironmentMap

        return EnvironmentMap(self)

    @property
    def experiments(self) -> dict[str, Any]:
        from azureml.core.experiment import Experiment

        return {name: Experiment(self, name) for name in self._native.experiments}

    @property
    def models(self) -> dict[str, Any]:
        from azureml.core.model import Model

        return {name: Model(self, name) for name in self._native.models}

    @property
    def webservices(self) -> dict[str, Any]:
        from azureml.core.webservice import Webservice

        return {service.name: service for service in Webservice.list(self)}

    def get_mlflow_tracking_uri(self) -> str:
        return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{self.home / 'mlflow.db'}"

    def __repr__(self) -> str:
        return (
            f"Workspace.create(name='{self.name}', subscription_id='{self.subscription_id}', "
            f"resource_group='{self.resource_group}')"
        )
