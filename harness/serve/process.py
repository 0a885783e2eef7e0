"""``python -m harness.serve.process SERVICE_DIR``: the service's own process.

Started detached by ``launch`` (its own session, re-parented to init, so it
outlives the shell or notebook kernel that deployed it), in the environment the
service names. It receives the listening socket already bound (descriptor in
``HARNESS_SERVICE_FD``), records its pid, start time and machine, and runs
uvicorn: in-process for one worker, uvicorn's supervisor for several (each worker
a spawned process that loads the model once; a worker whose startup fails stops
them all, and its line is the service's error).

A monitor thread asks the service's own ``/ping`` (a new connection each time, as a
load balancer would): the first answer makes it ``Healthy``; three missed answers
in a row ``Unhealthy`` (and an answer again ``Healthy``). On SIGTERM or SIGINT it shuts down gracefully and records
``Stopped``; a startup failure leaves ``Failed`` with the line the worker wrote.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
from pathlib import Path
from typing import Any

from harness.serve.store import (
    FAILED,
    HEALTHY,
    MARKER_FILE,
    STARTING,
    STOPPED,
    UNHEALTHY,
    ServiceRecord,
    ServiceStore,
    now_iso,
)

FD_ENV = "HARNESS_SERVICE_FD"
#: Set in the worker processes of a multi-worker service: the supervisor's pid.
PARENT_ENV = "HARNESS_SERVICE_PARENT"
#: A healthy service is asked every PING_EVERY_S; MISSES_UNHEALTHY unanswered asks in
#: a row (about 12 s) make it Unhealthy: a worker stuck in run(), a blocked loop.
PING_EVERY_S = 2.0
PING_TIMEOUT_S = 2.0
MISSES_UNHEALTHY = 3


def _probe_address(host: str, port: int) -> tuple[str, int]:
    if host in ("0.0.0.0", ""):
        return "127.0.0.1", port
    if host == "::":
        return "::1", port
    return host.strip("[]"), port


def ping(host: str, port: int, timeout: float = PING_TIMEOUT_S) -> bool:
    """Whether ``GET /ping`` answers 200 (a plain request, as a load balancer makes)."""
    import http.client

    address, port = _probe_address(host, port)
    connection = http.client.HTTPConnection(address, port, timeout=timeout)
    try:
        connection.request("GET", "/ping")
        return connection.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def _set_status(store: ServiceStore, name: str, status: str, only_from: tuple[str, ...]) -> None:
    def change(record: ServiceRecord) -> None:
        if record.status in only_from:
            record.status = status

    store.update(name, change)


def _monitor(store: ServiceStore, record: ServiceRecord, done: threading.Event) -> None:
    healthy = False
    misses = 0
    while not done.is_set():
        answered = ping(record.host, record.port, timeout=1.0 if not healthy else PING_TIMEOUT_S)
        if done.is_set():
            return
        if answered:
            misses = 0
            if not healthy:
                _set_status(store, record.name, HEALTHY, (STARTING, UNHEALTHY))
                healthy = True
        elif healthy:
            misses += 1
            if misses >= MISSES_UNHEALTHY:
                _set_status(store, record.name, UNHEALTHY, (HEALTHY,))
                healthy = False
        done.wait(PING_EVERY_S if healthy else 0.05)


def die_with_parent() -> None:
    """In a worker of a multi-worker service: SIGTERM when the supervisor dies, so a
    killed service leaves no worker holding the port (Linux PR_SET_PDEATHSIG)."""
    parent = os.environ.get(PARENT_ENV)
    if not parent or not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))
    except (OSError, AttributeError):
        return
    if os.getppid() != int(parent):  # it died before prctl took effect
        os._exit(1)


def _config(record: ServiceRecord, sock: socket.socket) -> Any:
    import uvicorn

    return uvicorn.Config(
        "harness.serve.app:create_app",
        factory=True,
        workers=record.workers,
        lifespan="on",
        access_log=False,  # counted per request in stats/ instead (no log write per request)
        log_level="info",
        timeout_graceful_shutdown=5,
        fd=sock.fileno(),
    )


def _serve(record: ServiceRecord, sock: socket.socket, stopping: threading.Event) -> None:
    import uvicorn

    config = _config(record, sock)
    if record.workers == 1:
        uvicorn.Server(config).run(sockets=[sock])
        return
    from uvicorn.supervisors import Multiprocess

    class Supervisor(Multiprocess):
        def handle_int(self) -> None:
            stopping.set()
            super().handle_int()

        def handle_term(self) -> None:
            stopping.set()
            super().handle_term()

    os.environ[PARENT_ENV] = str(os.getpid())
    Supervisor(config, sockets=[sock]).run()


def main(argv: list[str]) -> int:
    from harness.compat import SHIM_DIR
    from harness.run.ownership import start_ticks
    from harness.serve.app import SERVICE_DIR_ENV

    folder = Path(argv[0]).resolve()
    os.environ[SERVICE_DIR_ENV] = str(folder)
    sock = socket.socket(fileno=int(os.environ.pop(FD_ENV)))
    store = ServiceStore(folder.parent.parent)
    # Held open until this process ends: `services stop` signals only its holder.
    marker = os.open(folder / MARKER_FILE, os.O_RDONLY | os.O_CREAT | os.O_NOFOLLOW, 0o644)

    def started(record: ServiceRecord) -> None:
        record.pid, record.pid_start = os.getpid(), start_ticks(os.getpid())
        record.machine, record.started = socket.gethostname(), now_iso()

    record = store.update(folder.name, started)
    # score.py's `from azureml.core.model import Model` works without the opt-in;
    # appended, so a real azureml (or inference_schema) in the environment wins.
    sys.path.append(str(SHIM_DIR))
    stopping = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stopping.set()  # uvicorn re-raises the signal it handled when it is done

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    done = threading.Event()
    threading.Thread(target=_monitor, args=(store, record, done), daemon=True).start()
    try:
        _serve(record, sock, stopping)
    finally:
        done.set()
        final = STOPPED if stopping.is_set() else FAILED

        def ended(current: ServiceRecord) -> None:
            if current.status != FAILED:
                current.status = final
                if final == FAILED:
                    current.error = current.error or "the service stopped on its own; see its log"
            current.ended = now_iso()

        store.update(folder.name, ended)
        os.close(marker)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
