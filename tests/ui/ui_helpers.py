"""Helpers for the dashboard tests: runs written in the real on-disk format, the real
`harness ui` server in a subprocess, a user script that logs live, screenshots."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import time
from pathlib import Path

from harness.run.metrics import MetricEvent, append_events
from harness.run.record import COMPLETED, RUNNING
from harness.run.store import RunStore
from harness.testing import harness_executable

TOKEN = "test-token-0123456789abcdef"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

#: A user's training script: logs `loss` at steps 0..N-1, then, if asked, waits for a
#: file before logging more, and (for the cancel test) keeps running until canceled.
LIVE_SCRIPT = """
import argparse, os, time
from harness import Run
p = argparse.ArgumentParser()
p.add_argument("--points", type=int, default=5)
p.add_argument("--more", type=int, default=0)
p.add_argument("--gate", default="")
p.add_argument("--hold", type=float, default=0)
a = p.parse_args()
run = Run.get_context()
for i in range(a.points):
    run.log("loss", 1.0 / (i + 1))
    print(f"step {i}", flush=True)
run.flush()
if a.more:
    while not os.path.exists(a.gate):
        time.sleep(0.1)
    for i in range(a.points, a.points + a.more):
        run.log("loss", 1.0 / (i + 1))
    run.flush()
os.makedirs("outputs", exist_ok=True)
with open("outputs/model.bin", "wb") as f:
    f.write(bytes(range(256)) * 4)
deadline = time.time() + a.hold
while time.time() < deadline:
    time.sleep(0.1)
"""


def write_run(
    home: Path,
    *,
    experiment: str = "exp",
    status: str = COMPLETED,
    points: dict[str, list[float]] | None = None,
    params: dict | None = None,
    tags: dict | None = None,
    estimator: str = "sklearn",
) -> str:
    """A run written through the run store itself (record, metrics file, a log)."""
    store = RunStore(home)
    record = store.create(
        experiment=experiment,
        estimator=estimator,
        compute="local",
        params=params or {"estimator": {"C": 1.0}},
        tags=tags or {},
    )
    events = [
        MetricEvent(name, value, step, time.time() + step * 1e-3)
        for name, values in (points or {"loss": [1.0, 0.5, 0.25]}).items()
        for step, value in enumerate(values)
    ]
    append_events(record.path / "metrics" / "rank0-1.jsonl", events)
    (record.path / "logs" / "stdout.txt").write_text("hello from the job\n")
    (record.path / "outputs" / "model.bin").write_bytes(b"\x00\x01model")
    store.set_status(record.id, RUNNING)
    if status != RUNNING:
        store.set_status(record.id, status)
    return record.id


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class UiServer:
    def __init__(self, home: Path, host: str = "127.0.0.1", token: str | None = TOKEN) -> None:
        env = dict(os.environ, HARNESS_HOME=str(home))
        env.pop("HARNESS_JOB_SPEC", None)
        args = [harness_executable(), "ui", "--host", host, "--port", str(free_port())]
        if token:
            args += ["--token", token]
        self.proc = subprocess.Popen(
            args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.lines: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.lines.append(line)
            found = re.search(r"(http://\S+?)/\?token=(\S+)", line)
            if found:
                self.base, self.token = found.group(1), found.group(2)
                return
        self.stop()
        raise AssertionError("harness ui did not print its URL:\n" + "".join(self.lines))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


#: Where the browser tests save their screenshots (CI keeps the folder as an
#: artifact): $HARNESS_UI_SCREENSHOTS, else ui-screenshots/ at the checkout's root.
SCREENSHOTS = Path(
    os.environ.get("HARNESS_UI_SCREENSHOTS")
    or Path(__file__).resolve().parents[2] / "ui-screenshots"
)


def screenshot(page, name: str) -> None:
    """A full-page PNG of what the test sees, for review (docs/ui.md, Tests)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"ui-{name}.png"), full_page=True)


def read_json(path: Path) -> dict:
    return json.loads(path.read_text())
