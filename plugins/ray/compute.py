"""The ``ray`` compute: the job runs on a Ray node; the driver follows it from here.

launch: pack the run folder → place a ``NodeJob`` actor with the job's resources
(Ray picks the node) → the actor starts the worker there → the driver asks it for
news, and the actor answers as soon as the job writes or ends (or after ``WAIT_S``
of quiet): output to the terminal and ``logs/``, metric lines appended to
this workspace's ``metrics/`` (so ``runs show``, ``harness ui`` and the sweep watch
see them live) → at the end outputs/, logs/ and metrics/ come back and the node's
copy is removed. Ctrl-C, ``harness runs cancel``, ``compute.timeout`` and the
sweep watch stop the job through the actor; an actor that dies (node lost,
``ray.kill``, out of memory) ends the run Failed with Ray's reason.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from harness.contract.components import Compute, JobResult
from harness.contract.compute_kit import check_interrupted, handle_interrupts, stop_requested
from harness.contract.files import read_json
from harness.contract.jobspec import JobSpec
from harness.contract.records import set_run_tags
from harness.errors import ConfigError
from harness.plugins.ray import transfer
from harness.plugins.ray.connect import alive_nodes, connect, describe_resources

#: The longest the actor holds back an empty answer; also how soon a stop request,
#: Ctrl-C or timeout is seen while the job is quiet.
WAIT_S = 0.5
#: After this many seconds without a placement the driver says it is waiting.
PENDING_NOTE_S = 5.0
#: Environment the job takes from the driver (the rest is the node's own).
FORWARD_PREFIXES = ("HARNESS_",)
FORWARD_SKIP = {"HARNESS_HOME", "HARNESS_JOB_SPEC"}


def placement(compute: Any) -> dict[str, Any]:
    """Ray actor options from the ``compute`` node."""
    from omegaconf import DictConfig, OmegaConf

    def plain(value: Any) -> Any:
        return (
            OmegaConf.to_container(value, resolve=True) if isinstance(value, DictConfig) else value
        )

    options: dict[str, Any] = {
        "num_cpus": compute.get("num_cpus", 1),
        "num_gpus": compute.get("num_gpus", 0),
        "resources": plain(compute.get("resources")) or {},
    }
    if compute.get("memory") is not None:
        options["memory"] = compute.get("memory")
    if compute.get("runtime_env"):
        options["runtime_env"] = plain(compute.get("runtime_env"))
    return options


def _needs(options: dict[str, Any]) -> dict[str, float]:
    needs = {"CPU": options["num_cpus"], "GPU": options["num_gpus"], **options["resources"]}
    if options.get("memory"):
        needs["memory"] = options["memory"]
    return {k: float(v) for k, v in needs.items() if v}


def _actor_class() -> Any:
    import ray

    from harness.plugins.ray.node_job import NodeJob

    return ray.remote(NodeJob)


class RayCompute(Compute):
    def validate(self, config: Any) -> None:
        compute = config.compute
        timeout = compute.get("timeout")
        if timeout is not None and (not isinstance(timeout, (int, float)) or timeout <= 0):
            raise ConfigError(
                f"compute.timeout must be a positive number of seconds, got {timeout!r}"
            )
        try:
            import ray  # noqa: F401
        except ImportError:
            raise ConfigError("compute=ray needs Ray: pip install 'harness-ml[cluster]'") from None
        options = placement(compute)
        try:  # Ray's own checks of the values (negative CPUs, a bad runtime_env …)
            _actor_class().options(**options)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"compute=ray: Ray rejects the options: {exc}") from None
        connect(str(compute.get("address") or "auto"), "compute=ray")
        needs = _needs(options)
        nodes = alive_nodes()
        if not any(_fits(needs, node["Resources"]) for node in nodes):
            have = "; ".join(describe_resources(n["Resources"]) for n in nodes) or "no live node"
            raise ConfigError(
                f"compute=ray: no node of the Ray cluster has {describe_resources(needs)} "
                f"(Ray would keep the job pending forever); the nodes have: {have}"
            )

    def launch(self, job: JobSpec) -> JobResult:
        import ray

        compute = job.params["compute"]
        connect(str(compute.get("address") or "auto"), "compute=ray")
        run_dir = Path(job.run_dir)
        payload = transfer.pack(run_dir)
        options = placement(compute)
        actor = (
            _actor_class()
            .options(**options, name=f"harness-{job.run_id}", max_restarts=0, max_task_retries=0)
            .remote()
        )
        home = run_dir.parent.parent
        follower = _Follower(actor, run_dir, lambda tags: set_run_tags(job.run_id, tags, home))
        try:
            with handle_interrupts():  # `harness runs cancel` (SIGTERM) stops the actor too
                return follower.run(payload, asdict(job), _forwarded_env(), compute.get("timeout"))
        finally:
            follower.bring_back()
            with contextlib.suppress(Exception):
                ray.kill(actor)


def _fits(needs: dict[str, float], resources: dict[str, float]) -> bool:
    return all(resources.get(key, 0.0) >= value for key, value in needs.items())


def _forwarded_env() -> dict[str, str]:
    return {
        k: v
        for k, v in os.environ.items()
        if k.startswith(FORWARD_PREFIXES) and k not in FORWARD_SKIP
    }


class _Follower:
    """Follows one actor: placement, polls, stop, and the results at the end."""

    def __init__(self, actor: Any, run_dir: Path, on_placed: Any) -> None:
        self.actor, self.run_dir, self.on_placed = actor, run_dir, on_placed
        self.placed: dict[str, str] = {}
        self.alive = True

    def run(
        self, payload: bytes, spec: dict[str, Any], env: dict[str, str], timeout: float | None
    ) -> JobResult:
        import ray
        from ray.exceptions import RayError

        try:
            info = self._wait_placed(self.actor.start.remote(payload, spec, env))
            self.placed = {
                "ray.node_id": str(info["node_id"]),
                "ray.node_ip": str(info["node_ip"]),
                "ray.pid": str(info["pid"]),
            }
            self.on_placed(self.placed)  # the run's tags say where it runs
            deadline = None if timeout is None else time.monotonic() + float(timeout)
            while True:
                code = self._poll(WAIT_S)
                if code is not None:
                    return JobResult(exit_code=code)
                check_interrupted()  # a Ctrl-C whose KeyboardInterrupt was swallowed
                if stop_requested():  # the sweep watch stops the job early
                    return self._stop(canceled=True, error="canceled")
                if deadline is not None and time.monotonic() > deadline:
                    self._stop(canceled=False, error="")
                    return JobResult(
                        exit_code=124, error=f"timed out after {timeout} s (compute.timeout)"
                    )
        except KeyboardInterrupt:
            try:
                return self._stop(canceled=True, error="canceled")
            except KeyboardInterrupt:  # a second Ctrl-C: no more grace
                ray.kill(self.actor)
                self.alive = False
                return JobResult(exit_code=130, canceled=True, error="canceled")
        except RayError as exc:  # the actor died, its runtime_env failed to set up, ...
            self.alive = False
            return JobResult(exit_code=1, error=f"Ray: {_reason(exc)}")

    def _wait_placed(self, ref: Any) -> dict[str, Any]:
        import ray

        began = time.monotonic()
        noted = False
        while True:
            ready, _ = ray.wait([ref], timeout=0.5)
            if ready:
                return ray.get(ref)
            if not noted and time.monotonic() - began > PENDING_NOTE_S:
                print("harness: waiting for the Ray cluster to place the job …", flush=True)
                noted = True

    def _poll(self, wait: float = 0.0) -> int | None:
        import ray

        answer = ray.get(self.actor.poll.remote(wait))
        for rel, data in answer["files"].items():
            target = self.run_dir / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "ab") as handle:
                handle.write(data)
            if rel == "logs/stdout.txt" or rel == "logs/stderr.txt":
                stream = sys.stdout if rel.endswith("stdout.txt") else sys.stderr
                with contextlib.suppress(OSError, ValueError):
                    stream.buffer.write(data)
                    stream.flush()
        return answer["exit_code"]

    def _stop(self, canceled: bool, error: str) -> JobResult:
        import ray

        code = ray.get(self.actor.stop.remote())
        while self._poll() is None:  # drain the tail of the output
            pass
        return JobResult(exit_code=130 if code is None else code, canceled=canceled, error=error)

    def bring_back(self) -> None:
        """outputs/, logs/ and metrics/ from the node: the node's copy is the whole one."""
        if not self.alive or not self.placed:
            return
        import ray

        try:
            data = ray.get(self.actor.collect.remote())
        except Exception as exc:  # what was streamed stays; say what is missing
            print(
                f"harness: warning: the run folder did not come back from Ray: {exc}",
                file=sys.stderr,
            )
            return
        staging = self.run_dir / ".from-ray"
        transfer.unpack(data, staging)
        for entry in staging.iterdir():
            if entry.name == "run.json":
                self._take_tags(entry)
                continue
            target = self.run_dir / entry.name
            if target.is_dir():
                _merge_tree(entry, target)
            else:
                os.replace(entry, target)
        import shutil

        shutil.rmtree(staging, ignore_errors=True)

    def _take_tags(self, remote_record: Path) -> None:
        tags = read_json(remote_record).get("tags") or {}
        if tags:
            set_run_tags(self.run_dir.name, tags, self.run_dir.parent.parent)


def _merge_tree(source: Path, target: Path) -> None:
    for path in sorted(source.rglob("*")):
        dest = target / path.relative_to(source)
        if path.is_dir():
            dest.mkdir(parents=True, exist_ok=True)
        else:
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, dest)


def _reason(exc: BaseException) -> str:
    """Ray's cause of an actor's death: its message is a headline, tab-indented
    details (class, ids, pid, ip), then the cause ("killed by `ray.kill`", "its
    node died", "out of memory")."""
    lines = [line.rstrip() for line in str(exc).strip().splitlines() if line.strip()]
    causes = [line.strip() for line in lines[1:] if not line.startswith(("\t", " "))]
    return (causes[0] if causes else lines[0] if lines else type(exc).__name__)[:300]
