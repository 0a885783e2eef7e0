"""A real two-node Ray cluster on this machine, for tests and benchmarks.

``ray start --head`` and ``ray start --address=…`` each run with ``--block`` in
a process group of their own, so stopping the cluster stops exactly the
processes started here (``ray stop`` would stop every Ray on the machine).
Each node gets a custom resource naming it (``head_node``, ``worker_node``), so
a job can be placed on a chosen node. Resources are kept tiny.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

#: Seconds for both nodes to join; Ray's start-up on a loaded 2-core machine is slow.
START_TIMEOUT_S = 180.0


class ClusterUnavailable(RuntimeError):
    """The cluster could not start here; the message says why."""


@dataclass
class LocalRayCluster:
    address: str
    #: Ray node ids by the custom resource that names the node.
    node_ids: dict[str, str] = field(default_factory=dict)
    logs: Path | None = None

    @property
    def env(self) -> dict[str, str]:
        """Environment for a process that should join this cluster (``address=auto``)."""
        return {"RAY_ADDRESS": self.address, "RAY_USAGE_STATS_ENABLED": "0"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ray_start(args: list[str], log: Path, cwd: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    env.pop("RAY_ADDRESS", None)
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "ray.scripts.scripts", "start", "--block", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )


def _nodes(address: str) -> list[dict[str, object]]:
    """The cluster's live nodes, asked from a short-lived process (the caller's
    process stays out of Ray)."""
    code = (
        "import json, logging, ray\n"
        f"ray.init(address={address!r}, logging_level=logging.ERROR, log_to_driver=False)\n"
        "print(json.dumps([n for n in ray.nodes() if n['Alive']]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0"},
    )
    if done.returncode != 0:
        return []
    return json.loads(done.stdout.strip().splitlines()[-1])


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM every node's group at once (each node's own shutdown took ~16 s here,
    one after the other), then SIGKILL what is left of any of them."""
    for sig, wait in ((signal.SIGINT, 30.0), (signal.SIGKILL, 10.0)):
        for proc in procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, sig)
        deadline = time.monotonic() + wait
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        if all(proc.poll() is not None for proc in procs):
            break
    for proc in procs:  # whatever the groups left behind
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


@contextlib.contextmanager
def local_ray_cluster(cpus_per_node: int = 1) -> Iterator[LocalRayCluster]:
    """Start a head and a worker node; stop both (and only them) at the end."""
    try:
        import ray  # noqa: F401
    except ImportError:
        raise ClusterUnavailable(
            "Ray is not installed (pip install 'harness-ml[cluster]')"
        ) from None
    # Ray's socket paths must stay short: a folder directly under /tmp.
    root = Path(tempfile.mkdtemp(prefix="hray-", dir="/tmp"))
    port = _free_port()
    address = f"127.0.0.1:{port}"
    common = [
        f"--num-cpus={cpus_per_node}",
        "--object-store-memory=80000000",
        "--node-ip-address=127.0.0.1",
        "--disable-usage-stats",
    ]
    procs: list[subprocess.Popen[bytes]] = []
    log = root / "ray-start.log"
    for name in ("head", "worker"):
        (root / name).mkdir()
    try:
        procs.append(
            _ray_start(
                [
                    "--head",
                    f"--port={port}",
                    "--include-dashboard=false",
                    f"--temp-dir={root}/t",
                    '--resources={"head_node": 1}',
                    *common,
                ],
                log,
                root / "head",
            )
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            if procs[0].poll() is not None or time.monotonic() > deadline:
                raise ClusterUnavailable(f"the Ray head did not start: {_tail(log)}")
            time.sleep(0.5)
        procs.append(
            _ray_start(
                [f"--address={address}", '--resources={"worker_node": 1}', *common],
                log,
                root / "worker",
            )
        )
        node_ids: dict[str, str] = {}
        while len(node_ids) < 2:
            if any(p.poll() is not None for p in procs) or time.monotonic() > deadline:
                raise ClusterUnavailable(f"the Ray nodes did not join: {_tail(log)}")
            for node in _nodes(address):
                for resource in ("head_node", "worker_node"):
                    if resource in node["Resources"]:  # type: ignore[operator]
                        node_ids[resource] = str(node["NodeID"])
            time.sleep(1.0)
        yield LocalRayCluster(address=address, node_ids=node_ids, logs=log)
    finally:
        import ray

        if ray.is_initialized():  # this process joined (an in-process test): leave first
            ray.shutdown()
        _stop(procs)
        shutil.rmtree(root, ignore_errors=True)


def _tail(log: Path, lines: int = 5) -> str:
    try:
        return " | ".join(log.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return "(no log)"
