"""Invariant 4 (liveness): a killed sweep driver leaves no sweep `Running` forever."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest

from harness.testing import SLOW_SKLEARN_JOB, harness_executable, run_cli


@pytest.mark.slow
def test_kill_9_of_a_sweep_driver_marks_the_sweep_and_its_run_failed(home, tmp_path):
    env = {**os.environ, "HARNESS_HOME": str(home)}
    env.pop("HARNESS_JOB_SPEC", None)
    proc = subprocess.Popen(
        [harness_executable(), "train", "-m", *SLOW_SKLEARN_JOB, "seed=1,2"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        sweep_id = run_id = None
        deadline = time.monotonic() + 120
        assert proc.stdout is not None
        while time.monotonic() < deadline and run_id is None:
            line = proc.stdout.readline()
            if line.startswith("sweep id:"):
                sweep_id = line.split(":", 1)[1].strip()
            elif line.startswith("run id:"):
                run_id = line.split(":", 1)[1].strip()
        assert sweep_id and run_id, "the sweep never started its first run"
        running = run_cli("sweeps", "list", "--format", "json", home=home).json()
        assert [s["status"] for s in running] == ["Running"]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    time.sleep(0.5)
    listed = run_cli("sweeps", "list", "--format", "json", home=home)
    assert listed.returncode == 0, listed.output
    assert [s["status"] for s in listed.json()] == ["Failed"]
    record = json.loads((home / "sweeps" / sweep_id / "sweep.json").read_text())
    assert record["status"] == "Failed" and f"pid {proc.pid}" in record["error"]
    shown = run_cli("runs", "show", run_id, "--format", "json", home=home).json()
    assert shown["status"] == "Failed", shown


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            return [int(p) for p in handle.read().split()]
    except OSError:
        return []


def test_a_killed_worker_takes_its_script_child_with_it(home, tmp_path):
    """What left an MPI rank's `python -m mpi4py train.py` running under init: the
    training script must die with the worker process that started it."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "train.py").write_text(
        "import os, time\nopen('outputs/pid.txt', 'w').write(str(os.getpid()))\ntime.sleep(120)\n"
    )
    env = {**os.environ, "HARNESS_HOME": str(home)}
    env.pop("HARNESS_JOB_SPEC", None)
    proc = subprocess.Popen(
        [
            harness_executable(),
            "train",
            "+estimator=script",
            f"estimator.source_directory={src}",
            "estimator.entry_script=train.py",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        run_id = None
        while run_id is None:
            line = proc.stdout.readline()
            assert line, "harness train ended before starting the run"
            if line.startswith("run id:"):
                run_id = line.split(":", 1)[1].strip()
        pid_file = home / "runs" / run_id / "outputs" / "pid.txt"
        deadline = time.monotonic() + 60
        while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
            time.sleep(0.1)
        script_pid = int(pid_file.read_text())
        with open(f"/proc/{script_pid}/stat") as handle:
            worker_pid = int(handle.read().rsplit(")", 1)[1].split()[1])
        assert worker_pid in _children(proc.pid) or worker_pid != proc.pid
        os.kill(worker_pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while os.path.exists(f"/proc/{script_pid}") and time.monotonic() < deadline:
            time.sleep(0.1)
        try:
            with open(f"/proc/{script_pid}/stat") as handle:
                state = handle.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            state = "gone"
        assert state in ("gone", "Z"), f"the script (pid {script_pid}) outlived its worker"
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 1, out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    shown = run_cli("runs", "show", run_id, "--format", "json", home=home).json()
    assert shown["status"] == "Failed" and "SIGKILL" in shown["error"], shown["error"]
