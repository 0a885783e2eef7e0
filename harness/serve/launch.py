"""Start, wait for, stop and restart a service's process.

``start`` turns a checked ``Plan`` into a running service: it binds the port
first (a port in use is one line, nothing written), reserves the name, builds the
environment, copies the models in (SHA-256 checked) and the entry script's
folder, and starts the service process detached with the bound socket. Anything
that fails before the process starts removes the service again: nothing
half-started is left behind. ``wait`` follows the record until ``Healthy`` or
``Failed``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import ConfigError, HarnessError
from harness.serve import liveness, staging
from harness.serve.spec import Plan, relative_script
from harness.serve.store import (
    FAILED,
    HEALTHY,
    LOG_FILE,
    MODELS_DIR,
    SOURCE_DIR,
    STARTING,
    STATS_DIR,
    STOPPED,
    ServiceRecord,
    ServiceStore,
    now_iso,
    write_token,
)

#: Seconds ``wait`` follows a starting service (a large model can take long to load).
START_TIMEOUT_S = 600.0
STOP_TIMEOUT_S = 10.0
#: How long ``stop`` waits for a process that has just started to hold its marker.
MARKER_WAIT_S = 5.0

# The launcher: start the service in a new session with its output in the log, pass
# the bound socket on, print the pid and exit (the service is re-parented to init,
# so it never lingers as a zombie of a notebook kernel).
_LAUNCHER = (
    "import os, subprocess, sys\n"
    "fd = int(os.environ['HARNESS_SERVICE_FD'])\n"
    "out = open(sys.argv[1], 'ab')\n"
    "p = subprocess.Popen(sys.argv[3:], stdin=subprocess.DEVNULL, stdout=out, "
    "stderr=subprocess.STDOUT, start_new_session=True, pass_fds=(fd,), cwd=sys.argv[2])\n"
    "print(p.pid)\n"
)


#: Folders of a restart's new files, in the service's folder, until they are swapped in.
STAGING_PREFIX = ".staging-"


@dataclass
class Staged:
    """What ``_stage`` made: the service's Python, its environment as recorded, and
    the record's ``models`` items."""

    python: str
    environment: dict[str, Any] | None
    models: list[dict[str, Any]]


class ServiceFailedError(HarnessError):
    """The service did not start: its line (score.py's init, the model's load)."""


def bind(host: str, port: int) -> socket.socket:
    """A listening socket: bound here, so a port in use is refused before anything."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(1024)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(f"port {port} on {host} is in use; pick another port") from None
        if exc.errno == errno.EACCES:
            raise ConfigError(
                f"port {port} on {host} needs privileges; pick one above 1023"
            ) from None
        raise ConfigError(f"cannot listen on {host}:{port} ({exc.strerror})") from None
    return sock


def _environment(plan: Plan, folder: Path) -> tuple[str, dict[str, object] | None]:
    """(the service's Python, the environment as recorded)."""
    if plan.environment is None:
        return sys.executable, None
    from harness.envs.build import ensure_built
    from harness.envs.errors import EnvironmentBuildError

    try:
        built = ensure_built(plan.environment, plan_home(folder), log=folder / LOG_FILE, quiet=True)
    except EnvironmentBuildError as exc:
        raise ConfigError(f"the service's environment failed to build: {exc}") from None
    details = built.provenance()
    recorded = {
        k: details[k] for k in ("name", "version", "hash", "python", "interpreter", "definition")
    }
    return str(built.python), recorded


def plan_home(folder: Path) -> Path:
    return folder.parent.parent


def _copy_source(plan: Plan, folder: Path) -> None:
    from harness.errors import warn
    from harness.storage.safecopy import copy_out

    target = folder / SOURCE_DIR
    if plan.source is not None:
        report = copy_out(plan.source, target)
        for rel in report.skipped:
            warn(f"skipped {rel} in the source folder: a symlink or special file, not copied")
    elif plan.script is not None:
        target.mkdir()
        copy_out(plan.script, target)


def _spawn(python: str, folder: Path, sock: socket.socket, extra_env: dict[str, str]) -> int:
    env = dict(os.environ, PYTHONUNBUFFERED="1", HARNESS_HOME=str(plan_home(folder)), **extra_env)
    env.pop("HARNESS_JOB_SPEC", None)
    env["HARNESS_SERVICE_FD"] = str(sock.fileno())
    command = [python, "-m", "harness.serve.process", str(folder)]
    launched = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, str(folder / LOG_FILE), str(folder), *command],
        env=env,
        pass_fds=(sock.fileno(),),
        capture_output=True,
        text=True,
        check=False,
    )
    if launched.returncode != 0:
        raise HarnessError(f"could not start the service: {launched.stderr.strip()[-300:]}")
    return int(launched.stdout.strip())


def _stage(plan: Plan, folder: Path, into: Path) -> Staged:
    """Everything the service process needs, made before it starts: the environment
    (built or reused), the models (SHA-256 checked) and the entry script's folder,
    copied into ``into`` (the service's folder, or a staging folder in it)."""
    python, environment = _environment(plan, folder)
    models = [staging.stage(entry, into / MODELS_DIR) for entry in plan.entries]
    _copy_source(plan, into)
    return Staged(python, environment, models)


def _spawn_recorded(
    store: ServiceStore, record: ServiceRecord, staged: Staged, sock: socket.socket
) -> None:
    """Record what was staged, start the service process; the record names it."""
    folder = record.folder()
    extra = {"AZUREML_MODEL_DIR": staging.model_dir_env(folder, staged.models)}
    from harness.run.ownership import start_ticks

    def launched(current: ServiceRecord) -> None:
        current.models, current.environment = staged.models, staged.environment

    store.update(record.name, launched)
    pid = _spawn(staged.python, folder, sock, extra)

    def started(current: ServiceRecord) -> None:
        if current.pid is None:  # the process may already have written its own
            current.pid, current.pid_start = pid, start_ticks(pid)
            current.machine = socket.gethostname()

    store.update(record.name, started)


def start(plan: Plan, store: ServiceStore) -> ServiceRecord:
    """Start the planned service; returns its record (``Starting``)."""
    spec = plan.spec
    sock = bind(spec.host, spec.port)
    try:
        record = store.create(
            ServiceRecord(
                name=spec.name,
                status=STARTING,
                created=now_iso(),
                models=[],
                host=spec.host,
                port=sock.getsockname()[1],
                workers=spec.workers,
                entry_script=relative_script(plan),
                source_directory=str(plan.source) if plan.source else None,
                entry_script_origin=str(plan.script) if plan.script and not plan.source else None,
                estimator=plan.estimator,
                auth=spec.token is not None,
                body_limit=spec.body_limit,
                deployment=dict(spec.deployment),
                tags={str(k): str(v) for k, v in spec.tags.items()},
                description=spec.description,
                machine=socket.gethostname(),
                starter_pid=os.getpid(),
                starter_start=_own_start(),
            )
        )
        try:
            if spec.token is not None:
                write_token(record.folder(), spec.token)
            staged = _stage(plan, record.folder(), record.folder())
            _spawn_recorded(store, record, staged, sock)
        except BaseException:
            store.discard(spec.name)  # nothing half-started is left behind
            raise
    finally:
        sock.close()  # the service process holds its own copy
    return store.get(spec.name)


def _own_start() -> int | None:
    """This process's start in clock ticks: with its pid, the service's starter
    (``ServiceRecord.starter_pid``) or a staging folder's owner."""
    from harness.run.ownership import start_ticks

    return start_ticks(os.getpid())


def wait(
    store: ServiceStore,
    name: str,
    timeout: float = START_TIMEOUT_S,
    on_poll: Callable[[ServiceRecord], None] | None = None,
) -> ServiceRecord:
    """Follow the record until ``Healthy`` (returned) or ``Failed`` (raised)."""
    deadline = time.monotonic() + timeout
    while True:
        record = liveness.observe(store, store.get(name))
        if on_poll is not None:
            on_poll(record)
        if record.status == HEALTHY:
            return record
        if record.status == FAILED:
            raise ServiceFailedError(
                f"service {name} failed: {record.error}; its log: `harness services logs {name}`"
            )
        if record.status == STOPPED:
            raise ServiceFailedError(f"service {name} was stopped before it was healthy")
        if time.monotonic() > deadline:
            raise HarnessError(
                f"service {name} is still {record.status} after {timeout:g} s; follow it "
                f"with `harness services logs -f {name}`"
            )
        time.sleep(0.05)


def stop(store: ServiceStore, name: str, timeout: float = STOP_TIMEOUT_S) -> ServiceRecord:
    """SIGTERM the service's process (only once proven to be it), wait, then SIGKILL."""
    record = liveness.observe(store, store.get(name))
    # Just started: the process may not hold its marker yet (it opens it first thing).
    deadline = time.monotonic() + MARKER_WAIT_S
    while (
        record.status == STARTING
        and liveness.process_alive(record)
        and liveness.owned(record) is not None
        and time.monotonic() < deadline
    ):
        time.sleep(0.05)
    if record.is_live and record.pid is not None and liveness.owned(record) is None:
        os.kill(record.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while liveness.process_alive(record) and time.monotonic() < deadline:
            time.sleep(0.05)
        if liveness.process_alive(record):
            with contextlib.suppress(ProcessLookupError):
                os.kill(record.pid, signal.SIGKILL)

    def stopped(current: ServiceRecord) -> None:
        if current.is_live:
            current.status, current.ended = STOPPED, now_iso()

    return store.update(name, stopped)


def staging_folder(folder: Path) -> Path:
    """A new staging folder in the service's folder, named after this process
    (``.staging-PID-TICKS-RANDOM``), so ``harness doctor`` removes only those whose
    process is gone."""
    path = folder / f"{STAGING_PREFIX}{os.getpid()}-{_own_start() or 0}-{uuid.uuid4().hex[:8]}"
    path.mkdir()
    return path


def restart(plan: Plan, store: ServiceStore) -> ServiceRecord:
    """Start the service again from ``plan`` on its own port (v1's ``update`` and
    ``reload``). The new models, environment and source are staged while the old
    process still serves: a refused model (a changed file), an environment that does
    not build or a missing folder leaves the service as it was. Only then is it
    stopped, the staged files swapped in and the process started; the record is kept."""
    spec = plan.spec
    folder = store.get(spec.name).folder()
    staged_in = staging_folder(folder)
    try:
        staged = _stage(plan, folder, staged_in)
    except BaseException:
        shutil.rmtree(staged_in, ignore_errors=True)
        raise
    try:
        old = stop(store, spec.name)
        spec.port = old.port

        def again(current: ServiceRecord) -> None:
            current.status, current.error, current.ended = STARTING, None, None
            current.pid = current.pid_start = None
            current.machine = socket.gethostname()
            current.starter_pid, current.starter_start = os.getpid(), _own_start()
            current.entry_script = relative_script(plan)
            current.source_directory = str(plan.source) if plan.source else None
            current.entry_script_origin = (
                str(plan.script) if plan.script and not plan.source else None
            )
            current.estimator, current.workers = plan.estimator, spec.workers
            current.tags = {str(k): str(v) for k, v in spec.tags.items()}
            current.description, current.body_limit = spec.description, spec.body_limit

        store.update(spec.name, again)
        for part in (MODELS_DIR, SOURCE_DIR, STATS_DIR):
            shutil.rmtree(folder / part, ignore_errors=True)
            if (staged_in / part).exists():
                (staged_in / part).rename(folder / part)
        sock = bind(spec.host, spec.port)
        try:
            _spawn_recorded(store, store.get(spec.name), staged, sock)
        finally:
            sock.close()
    except BaseException as exc:
        line = str(exc) if isinstance(exc, HarnessError) else repr(exc)

        def failed(current: ServiceRecord) -> None:
            if current.status == STARTING:
                current.status, current.error, current.ended = FAILED, line, now_iso()

        store.update(spec.name, failed)
        raise
    finally:
        shutil.rmtree(staged_in, ignore_errors=True)
    return store.get(spec.name)
