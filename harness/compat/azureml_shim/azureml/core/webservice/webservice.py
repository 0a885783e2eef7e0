"""v1's ``Webservice``: a handle on a service of the workspace (``harness.sdk.service``)."""

from __future__ import annotations

from typing import Any

from azureml._compat import ignored
from azureml.exceptions import WebserviceException
from harness.errors import HarnessError

#: harness status → the state v1 showed (v1 said "Transitioning" while deploying).
STATES = {"Starting": "Transitioning"}


class DeploymentConfiguration:
    """What every ``deploy_configuration(...)`` returns: labels and a few settings."""

    compute_type = "Local"

    def __init__(self, **settings: Any) -> None:
        self.settings = {k: v for k, v in settings.items() if v is not None}
        self.port: int = int(self.settings.pop("port", 0) or 0)
        self.tags: dict[str, str] = dict(self.settings.pop("tags", None) or {})
        self.description: str = str(self.settings.pop("description", "") or "")
        self.auth_enabled: bool = bool(self.settings.pop("auth_enabled", False))
        self.primary_key: str | None = self.settings.pop("primary_key", None)

    def deployment(self) -> dict[str, Any]:
        return {"kind": self.compute_type.lower(), **self.settings}


class Webservice:
    """``Webservice(workspace, name)``: an existing service (v1 looked it up by name)."""

    _compute_type = "Local"

    def __new__(cls, workspace: Any = None, name: str | None = None, **_: Any) -> Any:
        if cls is Webservice and name is not None:
            cls = _class_of(workspace, name)
        return super().__new__(cls)

    def __init__(self, workspace: Any = None, name: str | None = None, **_: Any) -> None:
        from harness.sdk.service import Webservice as Native

        if name is None:
            raise WebserviceException("Webservice(workspace, name) needs the service's name")
        self.workspace = workspace
        try:
            self._native = Native(name, workspace=getattr(workspace, "_native", workspace))
        except HarnessError as exc:
            raise WebserviceException(str(exc)) from None

    # -- what notebooks read -------------------------------------------------------
    name = property(lambda self: self._native.name)
    scoring_uri = property(lambda self: self._native.scoring_uri)
    swagger_uri = property(lambda self: self._native.swagger_uri)
    port = property(lambda self: self._native.port)
    tags = property(lambda self: self._native.tags)
    description = property(lambda self: self._native.description)
    compute_type = property(lambda self: self._compute_type)

    @property
    def state(self) -> str:
        state = self._native.state
        return STATES.get(state, state)

    @property
    def error(self) -> Any:
        return self._native.error

    @property
    def models(self) -> list[Any]:
        from azureml.core.model import Model

        return [Model(self.workspace, m["name"], version=m["version"]) for m in self._native.models]

    def serialize(self) -> dict[str, Any]:
        data = self._native.serialize()
        data["state"], data["computeType"] = self.state, self._compute_type
        data["scoringUri"] = data["scoring_uri"]
        return data

    # -- actions ---------------------------------------------------------------------
    def wait_for_deployment(self, show_output: bool = False, timeout_sec: Any = None) -> None:
        try:
            self._native.wait_for_deployment(show_output, timeout_sec)
        except HarnessError as exc:
            raise WebserviceException(
                f"Service deployment polling reached non-successful terminal state, current "
                f"service state: {self.state}. {exc}"
            ) from None
        if show_output:
            print(f"{self.name}: {self.state} at {self.scoring_uri}", flush=True)

    def run(self, input_data: Any) -> Any:
        try:
            return self._native.run(input_data)
        except HarnessError as exc:
            raise WebserviceException(f"Received bad response from service: {exc}") from None

    def get_logs(self, num_lines: int = 5000, init: bool = False) -> str:
        return self._native.get_logs(num_lines)

    def get_keys(self) -> tuple[str, str]:
        try:
            return self._native.get_keys()
        except HarnessError as exc:
            raise WebserviceException(str(exc)) from None

    def update(
        self,
        models: Any = None,
        inference_config: Any = None,
        port: Any = None,
        tags: Any = None,
        description: Any = None,
        auth_enabled: Any = None,
        **ignored_settings: Any,
    ) -> None:
        """Re-deploy with new models and/or inference config, on the same port."""
        for key, value in ignored_settings.items():
            ignored(key, value, "a local service has no such setting")
        ignored("port", port, "update keeps the service's port; deploy anew for another")
        ignored("auth_enabled", auth_enabled, "set it in the deployment configuration")
        settings = inference_config.settings() if inference_config is not None else {}
        if tags is not None:
            settings["tags"] = tags
        if description is not None:
            settings["description"] = str(description)
        refs = None if models is None else [f"{m.name}:{m.version}" for m in models]
        try:
            self._native.update(refs, **settings)
        except HarnessError as exc:
            raise WebserviceException(str(exc)) from None

    def reload(self, wait: bool = False) -> None:
        """Copy the entry script's folder again and restart (v1's LocalWebservice.reload)."""
        self._restart(self._native.current_spec(), wait=wait)

    def _restart(self, spec: Any, wait: bool = True) -> None:
        try:
            self._native.restart(spec, wait=wait)
        except HarnessError as exc:
            raise WebserviceException(str(exc)) from None

    def delete(self) -> None:
        self._native.delete()

    @staticmethod
    def list(workspace: Any, compute_type: str | None = None, **_: Any) -> list[Any]:
        from harness.sdk.service import list_services

        found = []
        for item in list_services(getattr(workspace, "_native", workspace)):
            if item["status"] == "damaged":
                continue
            service = Webservice(workspace, item["name"])
            if compute_type is None or service.compute_type.lower() == compute_type.lower():
                found.append(service)
        return found

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(workspace={self.workspace!r}, name={self.name}, "
            f"state={self.state}, scoring_uri={self.scoring_uri})"
        )


def _class_of(workspace: Any, name: str) -> type:
    """The v1 class a stored service was deployed as (its deployment's ``kind``)."""
    from harness.sdk.service import Webservice as Native

    try:
        kind = Native(name, workspace=getattr(workspace, "_native", workspace))._record.deployment
    except HarnessError:
        return Webservice
    from azureml.core.webservice import AciWebservice, AksWebservice, LocalWebservice

    return {"aci": AciWebservice, "aks": AksWebservice}.get(kind.get("kind"), LocalWebservice)
