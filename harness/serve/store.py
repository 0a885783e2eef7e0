"""Service records: one folder per service, ``$HARNESS_HOME/services/<name>/``.

```
services/<name>/
  service.json     the record (format 1), written atomically under .lock
  .lock            held while the record changes (launcher, service process, stop)
  .process         held open by the service process: proof that a pid is this service's
  logs/service.txt the service process's output (uvicorn, init(), print in score.py)
  stats/<pid>.json request counts and recent requests, one file per worker process
  models/<model>/<version>/<file or folder>   the verified copy the service loads
  source/          the entry script's folder as it was at deployment
  token            the bearer token (mode 0600), when the service needs one
```

Several processes write one record, so every change is a read-modify-write under
the lock. A record that does not validate is a ``DamagedRecordError`` naming the
file; listings show it as damaged instead of failing.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from filelock import FileLock

from harness.errors import ConfigError, DamagedRecordError, NotFoundError, warn
from harness.ids import check_service_name
from harness.storage.workspace import atomic_write_json, harness_home, read_json_nofollow

FORMAT = 1
RECORD_FILE = "service.json"
LOCK_FILE = ".lock"
MARKER_FILE = ".process"
LOG_FILE = "logs/service.txt"
STATS_DIR = "stats"
MODELS_DIR = "models"
SOURCE_DIR = "source"
TOKEN_FILE = "token"

STARTING, HEALTHY, UNHEALTHY, STOPPED, FAILED = (
    "Starting",
    "Healthy",
    "Unhealthy",
    "Stopped",
    "Failed",
)
STATUSES = (STARTING, HEALTHY, UNHEALTHY, STOPPED, FAILED)
#: A process should be behind these; the others are final.
LIVE_STATUSES = frozenset({STARTING, HEALTHY, UNHEALTHY})


@dataclass
class ServiceRecord:
    """What the workspace knows about one service (``service.json``)."""

    name: str
    status: str
    created: str
    #: [{"name", "version", "sha256", "path" (in the service folder), "run_id"}]
    models: list[dict[str, Any]]
    host: str
    port: int
    workers: int = 1
    #: the user's entry script (score.py) as deployed, relative to ``source/``
    entry_script: str | None = None
    #: where the entry script's folder was copied from (``service.reload()`` re-copies)
    source_directory: str | None = None
    #: the entry script's own path when no folder was given (only it is copied)
    entry_script_origin: str | None = None
    #: the estimator whose ``load_model`` serves the model (no entry script)
    estimator: str | None = None
    #: {"name", "version", "hash", "python", "interpreter", "definition"}; None: the harness's
    environment: dict[str, Any] | None = None
    auth: bool = False
    body_limit: int = 0
    pid: int | None = None
    pid_start: int | None = None
    machine: str | None = None
    #: the process that starts (or restarts) the service, until the service's own
    #: pid is recorded: a record left ``Starting`` without a pid by a starter that is
    #: gone was interrupted (``liveness``), and no process will ever take it on
    starter_pid: int | None = None
    starter_start: int | None = None
    started: str | None = None
    ended: str | None = None
    error: str | None = None
    #: v1's deployment configuration: {"kind": "local"|"aci"|"aks", ...} (labels only)
    deployment: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    description: str = ""
    format: int = FORMAT
    #: the service's folder; set on load, not saved
    path: Path | None = field(default=None, compare=False, repr=False)

    # -- derived --------------------------------------------------------------
    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        if host in ("0.0.0.0", "[::]"):
            import socket

            host = socket.gethostname()
        return f"http://{host}:{self.port}/"

    @property
    def scoring_uri(self) -> str:
        return self.url + "score"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES

    def folder(self) -> Path:
        assert self.path is not None
        return self.path

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("path")
        return data

    @classmethod
    def from_json(cls, data: Any, path: Path | None = None) -> ServiceRecord:
        """Validate and build; raises ``ValueError`` saying what is wrong."""
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        version = data.get("format")
        if version != FORMAT:
            raise ValueError(f"unknown record format {version!r} (this harness reads {FORMAT})")
        known = {f.name for f in fields(cls) if f.name != "path"}
        missing = {"name", "status", "created", "models", "host", "port"} - set(data)
        if missing:
            raise ValueError(f"missing {', '.join(sorted(missing))}")
        record = cls(**{k: v for k, v in data.items() if k in known})
        if record.status not in STATUSES:
            raise ValueError(f"unknown status {record.status!r}")
        if not isinstance(record.port, int) or not isinstance(record.models, list):
            raise ValueError("port or models of the wrong type")
        for key in ("pid", "pid_start", "starter_pid", "starter_start"):
            value = getattr(record, key)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise ValueError(f"{key} is {value!r}, not a process number")
        check_service_name(record.name)
        record.path = path
        return record


def now_iso() -> str:
    from harness.run.store import now_iso as stamp

    return stamp()


class ServiceStore:
    """The records of one workspace's services."""

    def __init__(self, home: Path | None = None) -> None:
        self.home = home or harness_home()
        self.root = self.home / "services"

    def folder(self, name: str) -> Path:
        return self.root / check_service_name(name)

    # -- creating ---------------------------------------------------------------
    def create(self, record: ServiceRecord) -> ServiceRecord:
        """Reserve ``record.name`` (exclusively) and write its first record."""
        folder = self.folder(record.name)
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            folder.mkdir()
        except FileExistsError:
            raise ConfigError(
                f"a service named '{record.name}' exists (status: {self._status_of(folder)}); "
                f"`harness services delete {record.name}` first, or pick another name"
            ) from None
        (folder / "logs").mkdir()
        record.path = folder
        atomic_write_json(folder / RECORD_FILE, record.to_json())
        return record

    def _status_of(self, folder: Path) -> str:
        try:
            return self._read(folder).status
        except DamagedRecordError:
            return "damaged record"

    # -- reading ----------------------------------------------------------------
    def _read(self, folder: Path) -> ServiceRecord:
        path = folder / RECORD_FILE
        try:
            return ServiceRecord.from_json(read_json_nofollow(path), folder)
        except FileNotFoundError:
            raise NotFoundError(f"no service '{folder.name}'") from None
        except (OSError, ValueError, TypeError) as exc:
            raise DamagedRecordError(
                f"damaged service record {path}: {exc}; "
                f"`harness services delete {folder.name}` removes it"
            ) from None

    def get(self, name: str) -> ServiceRecord:
        folder = self.folder(name)
        if not folder.is_dir() or folder.is_symlink():
            known = ", ".join(self.names()) or "(none)"
            raise NotFoundError(f"no service '{name}'. Services: {known}")
        return self._read(folder)

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        from harness.ids import NAME_PATTERN

        return sorted(
            p.name
            for p in self.root.iterdir()
            if NAME_PATTERN.fullmatch(p.name) and p.is_dir() and not p.is_symlink()
        )

    def list(self) -> list[ServiceRecord | DamagedRecordError]:
        """Every service; a damaged record is returned as its error (listings show it)."""
        found: list[ServiceRecord | DamagedRecordError] = []
        for name in self.names():
            try:
                found.append(self._read(self.root / name))
            except DamagedRecordError as exc:
                found.append(exc)
            except NotFoundError:
                continue  # being created or deleted right now
        return found

    # -- changing ---------------------------------------------------------------
    def update(self, name: str, change: Callable[[ServiceRecord], None]) -> ServiceRecord:
        """Apply ``change`` to the current record under the lock and write it."""
        folder = self.folder(name)
        with FileLock(str(folder / LOCK_FILE)):
            record = self._read(folder)
            change(record)
            atomic_write_json(folder / RECORD_FILE, record.to_json(), make_parents=False)
        return record

    def delete(self, name: str) -> None:
        """Remove the service's folder (the caller has stopped its process)."""
        folder = self.folder(name)
        if not folder.is_dir() or folder.is_symlink():
            raise NotFoundError(f"no service '{name}'")
        trash = self.root / f".deleted-{name}-{uuid.uuid4().hex}"
        folder.rename(trash)  # gone at once for readers; the copy is removed after
        shutil.rmtree(trash, ignore_errors=True)

    def discard(self, name: str) -> None:
        """Remove a service that never started (nothing half-started is left)."""
        shutil.rmtree(self.folder(name), ignore_errors=True)


def read_token(record: ServiceRecord) -> str | None:
    try:
        return (record.folder() / TOKEN_FILE).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def write_token(folder: Path, token: str) -> None:
    fd = os.open(folder / TOKEN_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")


def warn_damaged(error: DamagedRecordError) -> None:
    warn(f"skipped {error}")
