"""Web services from Python: ``deploy`` a registered model, ``Webservice`` handles.

The CLI (``harness models serve``, ``harness services ...``), the dashboard and the
azureml layer (``Model.deploy``, ``LocalWebservice``) all call these, so every door
starts, lists and stops services the same way and prints the same JSON.

    from harness.sdk.service import deploy
    service = deploy("digits-svc", ["digits:1"])          # estimator's own loader
    service = deploy("svc", ["digits"], entry_script="score.py", source_directory="src")
    service.run({"data": [[0.0] * 64]}); service.get_logs(); service.delete()
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from harness.errors import HarnessError
from harness.hosts import is_loopback
from harness.serve import launch, liveness, stats
from harness.serve.spec import DeploymentSpec, plan
from harness.serve.store import LOG_FILE, STATS_DIR, ServiceRecord, ServiceStore, read_token


class ServiceRequestError(HarnessError):
    """The service answered a request with an error (the message is its one line)."""

    exit_code = 1


def _store(workspace: Any = None) -> ServiceStore:
    from harness.sdk.workspace import home_of

    return ServiceStore(home_of(workspace))


def service_json(record: ServiceRecord) -> dict[str, Any]:
    """A service as ``harness services show --format json`` prints it."""
    data = record.to_json()
    data.update(
        url=record.url,
        scoring_uri=record.scoring_uri,
        swagger_uri=record.url + "swagger.json",
        folder=str(record.path),
        requests=stats.read(record.folder() / STATS_DIR),
    )
    for model in data["models"]:
        model.pop("params", None)  # the run's whole config: `harness runs show` has it
    return data


def list_services(workspace: Any = None) -> list[dict[str, Any]]:
    """Every service (``harness services list --format json``); a damaged record is an
    item with ``status: "damaged"`` and its error, never a failed listing."""
    store = _store(workspace)
    items: list[dict[str, Any]] = []
    for found in store.list():
        if isinstance(found, HarnessError):
            name = str(found).split("/services/", 1)[-1].split("/", 1)[0]
            items.append({"name": name, "status": "damaged", "error": str(found)})
            continue
        items.append(service_json(liveness.observe(store, found)))
    return items


def delete_service(name: str, workspace: Any = None) -> None:
    """Stop the service and remove it; a damaged record is removed too (its process,
    if any, cannot be proven to be the service's, so nothing is signalled)."""
    from harness.errors import DamagedRecordError

    try:
        service = Webservice(name, workspace=workspace)
    except DamagedRecordError:
        _store(workspace).delete(name)
        return
    service.delete()


def deploy(
    name: str,
    models: list[str],
    *,
    workspace: Any = None,
    entry_script: str | None = None,
    source_directory: str | None = None,
    environment: Any = None,
    host: str = "127.0.0.1",
    port: int = 0,
    workers: int = 1,
    body_limit: int | None = None,
    token: str | None = None,
    deployment: dict[str, Any] | None = None,
    tags: dict[str, str] | None = None,
    description: str = "",
    overwrite: bool = False,
    wait: bool = True,
) -> Webservice:
    """Serve registered ``models`` (``NAME``, ``NAME:VERSION``, ``NAME@ALIAS``) as the
    service ``name``. Without ``entry_script`` the estimator that trained the model
    loads it. Bound to another address than loopback, a token is required (one is
    made when not given; ``get_keys()`` returns it). Returns once the service is
    ``Healthy`` (``wait=False``: at once, ``Starting``)."""
    from harness.serve.spec import DEFAULT_BODY_LIMIT

    store = _store(workspace)
    if token is None and not is_loopback(host):
        token = secrets.token_urlsafe(24)
    spec = DeploymentSpec(
        name=name,
        models=[str(m) for m in models],
        entry_script=entry_script,
        source_directory=source_directory,
        environment=environment,
        host=host,
        port=port,
        workers=workers,
        body_limit=DEFAULT_BODY_LIMIT if body_limit is None else body_limit,
        token=token,
        deployment=dict(deployment or {}),
        tags=dict(tags or {}),
        description=description,
    )
    checked = plan(spec, store.home)  # every mistake here: one line, nothing written
    if overwrite and name in store.names():
        Webservice(name, workspace=workspace).delete()
    launch.start(checked, store)
    service = Webservice(name, workspace=workspace)
    if wait:
        service.wait_for_deployment()
    return service


class Webservice:
    """A handle on a service of the workspace (any process may hold one)."""

    def __init__(self, name: str, workspace: Any = None) -> None:
        self._store = _store(workspace)
        self._workspace = workspace
        self._record = self._store.get(name)

    # -- state ----------------------------------------------------------------
    def refresh(self) -> ServiceRecord:
        self._record = liveness.observe(self._store, self._store.get(self._record.name))
        return self._record

    @property
    def name(self) -> str:
        return self._record.name

    @property
    def state(self) -> str:
        return self.refresh().status

    @property
    def error(self) -> str | None:
        return self.refresh().error

    @property
    def scoring_uri(self) -> str:
        return self._record.scoring_uri

    @property
    def swagger_uri(self) -> str:
        return self._record.url + "swagger.json"

    @property
    def port(self) -> int:
        return self._record.port

    @property
    def models(self) -> list[dict[str, Any]]:
        return [{k: v for k, v in m.items() if k != "params"} for m in self._record.models]

    @property
    def tags(self) -> dict[str, str]:
        return dict(self._record.tags)

    @property
    def description(self) -> str:
        return self._record.description

    def serialize(self) -> dict[str, Any]:
        return service_json(self.refresh())

    # -- actions ----------------------------------------------------------------
    def wait_for_deployment(
        self, show_output: bool = False, timeout_sec: float | None = None
    ) -> None:
        """Until ``Healthy``; ``ServiceFailedError`` (its one line) when it failed."""
        seen = [""]

        def show(record: ServiceRecord) -> None:
            if show_output and record.status != seen[0]:
                seen[0] = record.status
                print(f"{record.name}: {record.status}", flush=True)

        timeout = launch.START_TIMEOUT_S if timeout_sec is None else float(timeout_sec)
        self._record = launch.wait(self._store, self.name, timeout, show)

    def get_keys(self) -> tuple[str, str]:
        token = read_token(self._record)
        if token is None:
            raise HarnessError(f"service {self.name} needs no key (it listens on loopback only)")
        return token, token

    def run(self, input_data: Any) -> Any:
        """POST ``input_data`` (JSON text, bytes, or an object to encode) to ``/score``
        and return the decoded answer, as v1's ``service.run``."""
        import urllib.error
        import urllib.request

        if isinstance(input_data, str):
            body = input_data.encode("utf-8")
        elif isinstance(input_data, (bytes, bytearray)):
            body = bytes(input_data)
        else:
            body = json.dumps(input_data).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        token = read_token(self._record)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(self.scoring_uri, body, headers, method="POST")
        # Straight to the service: an HTTP(S)_PROXY of the environment must not see it.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=300) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise ServiceRequestError(_error_line(exc.read(), exc.code)) from None
        except urllib.error.URLError as exc:
            raise ServiceRequestError(
                f"service {self.name} ({self.state}) did not answer: {exc.reason}"
            ) from None

    def get_logs(self, num_lines: int = 5000) -> str:
        path = self._record.folder() / LOG_FILE
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            return ""
        return "\n".join(lines[-num_lines:]) + ("\n" if lines else "")

    def stop(self) -> None:
        self._record = launch.stop(self._store, self.name)

    def delete(self) -> None:
        launch.stop(self._store, self.name)
        self._store.delete(self.name)

    def restart(self, spec: DeploymentSpec, wait: bool = True) -> None:
        """Start again from ``spec`` on the same port (``update``, ``reload``)."""
        launch.restart(plan(spec, self._store.home), self._store)
        self._record = self._store.get(self.name)
        if wait:
            self.wait_for_deployment()

    def current_spec(self) -> DeploymentSpec:
        """The spec the service runs with now (what ``update``/``reload`` start from)."""
        record = self.refresh()
        environment = (record.environment or {}).get("definition")
        script = record.entry_script_origin or record.entry_script
        return DeploymentSpec(
            name=record.name,
            models=[f"{m['name']}:{m['version']}" for m in record.models],
            entry_script=script,
            source_directory=record.source_directory,
            environment=environment,
            host=record.host,
            port=record.port,
            workers=record.workers,
            body_limit=record.body_limit,
            token=read_token(record),
            deployment=dict(record.deployment),
            tags=dict(record.tags),
            description=record.description,
        )

    def __repr__(self) -> str:
        record = self._record
        return f"Webservice(name={record.name!r}, state={record.status!r}, scoring_uri={record.scoring_uri!r})"


def _error_line(body: bytes, status: int) -> str:
    try:
        message = json.loads(body).get("error")
    except (ValueError, AttributeError):
        message = body.decode("utf-8", "replace").strip()[:300]
    return f"HTTP {status}: {message}"
