"""The Ray actor that runs one job on the node Ray placed it on.

It unpacks the run folder into a temporary workspace on the node, starts
``python -m harness.worker job.json`` there in its own process group (which dies
with the actor: a killed actor or node takes its job with it), and answers the
driver's polls with what the job wrote since the last poll. ``poll`` may wait
(half a second at most) for something to tell; ``stop`` gives the job the usual
SIGINT → SIGTERM → SIGKILL.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from harness.contract.compute_kit import die_with_parent, job_environment, stop_group
from harness.contract.envvars import HOME
from harness.contract.files import atomic_write_json
from harness.contract.jobspec import ACCEPTED_FILE, CONFIG_ERROR_FILE, JOB_FILE
from harness.plugins.ray import transfer

#: Bytes of one file handed back per poll, so that a chatty job cannot make one
#: reply huge; the rest comes with the next poll.
CHUNK = 4 * 1024 * 1024
#: What the driver takes back at the end (run.json for the tags the job set).
RESULTS = ("outputs", "logs", "metrics", "run.json")


class NodeJob:
    def __init__(self) -> None:
        self.home: Path | None = None
        self.run_dir: Path | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self.offsets: dict[str, int] = {}

    def start(self, payload: bytes, spec: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
        import ray

        self.home = Path(tempfile.mkdtemp(prefix="harness-ray-"))
        self.run_dir = self.home / "runs" / str(spec["run_id"])
        transfer.unpack(payload, self.run_dir)
        spec = dict(spec, run_dir=str(self.run_dir), workdir=str(self.run_dir))
        atomic_write_json(self.run_dir / JOB_FILE, spec)
        logs = self.run_dir / "logs"
        logs.mkdir(exist_ok=True)
        # This node's own workspace: the job's records stay in the temporary copy.
        environment = job_environment({**env, HOME: str(self.home)})
        with open(logs / "stdout.txt", "ab") as out, open(logs / "stderr.txt", "ab") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "harness.worker", str(self.run_dir / JOB_FILE)],
                cwd=self.run_dir,
                env=environment,
                stdout=out,
                stderr=err,
                start_new_session=True,
                preexec_fn=die_with_parent(),  # noqa: PLW1509 - one prctl call
            )
        return {
            "node_id": ray.get_runtime_context().get_node_id(),
            "node_ip": ray.util.get_node_ip_address(),
            "host": socket.gethostname(),
            "pid": self.proc.pid,
        }

    def poll(self, wait: float = 0.0) -> dict[str, Any]:
        """The exit code (None while running) and every file's new bytes. With
        ``wait``, an answer with nothing in it is held back (up to ``wait`` seconds)
        until the job writes or ends: the driver hears of either at once, and asks
        only about twice a second while a job is quiet."""
        deadline = time.monotonic() + wait
        while True:
            answer = self._changes()
            if answer["files"] or answer["exit_code"] is not None:
                return answer
            if time.monotonic() >= deadline:
                return answer
            assert self.proc is not None
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=0.02)  # returns at once when the job ends

    def _changes(self) -> dict[str, Any]:
        assert self.proc is not None and self.run_dir is not None
        code = self.proc.poll()  # first: once it is set, the reads below are complete
        changes: dict[str, bytes] = {}
        files = [self.run_dir / "logs" / "stdout.txt", self.run_dir / "logs" / "stderr.txt"]
        # The job's verdict on its config, which the driver reads in its own run folder.
        files += [self.run_dir / ACCEPTED_FILE, self.run_dir / CONFIG_ERROR_FILE]
        files += sorted((self.run_dir / "metrics").glob("*.jsonl"))
        more = False
        for path in files:
            rel = path.relative_to(self.run_dir).as_posix()
            offset = self.offsets.get(rel, 0)
            try:
                size = path.stat().st_size
            except OSError:
                continue
            if size <= offset:
                continue
            with open(path, "rb") as handle:
                handle.seek(offset)
                data = handle.read(CHUNK)
            self.offsets[rel] = offset + len(data)
            changes[rel] = data
            more = more or self.offsets[rel] < size
        # A final answer only once everything was handed over.
        return {"exit_code": None if more else code, "files": changes}

    def stop(self) -> int | None:
        if self.proc is not None and self.proc.poll() is None:
            stop_group(self.proc)
        return None if self.proc is None else self.proc.returncode

    def collect(self) -> bytes:
        """The run folder's results as tar bytes; the node's copy is removed."""
        assert self.run_dir is not None and self.home is not None
        try:
            return transfer.pack(self.run_dir, RESULTS)
        finally:
            shutil.rmtree(self.home, ignore_errors=True)

    def pid(self) -> int:
        return os.getpid()
