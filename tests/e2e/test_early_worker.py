"""The job process started before composition (harness/contract/early_worker.py), through
the real CLI: taken for a single local run, and then indistinguishable from a fresh
one from inside; never left behind when the run does not take it."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.contract import early_worker
from harness.testing import harness_executable, run_cli, workspace_processes

PROBE = {"HARNESS_PLUGINS": "harness.testing.probe"}


def facts(home: Path, run_id: str) -> dict:
    return json.loads((home / "runs" / run_id / "outputs" / "process.json").read_text())


def early_workers_of(home: Path) -> list[int]:
    """Processes of `python -m harness.worker --early` started for this workspace."""
    found = []
    for pid in workspace_processes(home):
        with contextlib.suppress(OSError):
            if b"--early" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0"):
                found.append(pid)
    return found


def train_reading(stdin: Path, home: Path, *args: str, early: bool = True) -> str:
    """`harness train ARGS` with ``stdin`` as its standard input; the run id."""
    env = dict(os.environ, HARNESS_HOME=str(home), HARNESS_EARLY_WORKER="1" if early else "0")
    env.update(PROBE)
    env.pop("HARNESS_JOB_SPEC", None)
    with stdin.open("rb") as source:
        done = subprocess.run(
            [harness_executable(), "train", *args],
            stdin=source, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return next(line for line in done.stdout.splitlines() if line.startswith("run id:"))[8:]


def test_a_single_run_takes_the_early_worker_and_it_looks_like_a_fresh_one(home, tmp_path):
    typed = tmp_path / "typed.txt"
    typed.write_text("what the user types\n")
    taken = facts(home, train_reading(typed, home, "+estimator=probe"))
    started_after = facts(home, train_reading(typed, home, "+estimator=probe", early=False))
    assert taken["cmdline"][-3:-1] == ["--early", "probe"] and taken["preloaded"] is True
    assert "--early" not in started_after["cmdline"] and started_after["preloaded"] is False
    for got in (taken, started_after):
        run_dir = str(home / "runs" / got["argv"][1].split("/")[-2])
        spec = str(Path(run_dir) / "job.json")
        # the run folder is the job's folder and the first import path; the spec is
        # its argument and its HARNESS_JOB_SPEC; its stdin is the driver's (a
        # breakpoint() reads the terminal), whichever way it started
        assert got["cwd"] == run_dir and got["sys_path0"] == run_dir
        assert got["argv"][1:] == [spec] and got["job_spec_env"] == spec
        assert got["stdin"] == str(typed)
    assert not early_workers_of(home)


def test_a_refused_config_leaves_no_early_worker(home):
    result = run_cli("train", "+estimator=probe", "estimator.exit_code=999", home=home, env=PROBE)
    assert result.returncode == 2, result.output
    assert "estimator.exit_code must be an integer" in result.stderr
    assert workspace_processes(home) == []


def test_a_sweep_starts_none(home):
    result = run_cli(
        "train", "-m", "+estimator=probe", "estimator.score=0.1,0.2", home=home, env=PROBE
    )
    assert result.returncode == 0, result.output
    runs = run_cli("runs", "list", "--format", "json", home=home).json()
    assert len(runs) == 2
    assert all("--early" not in facts(home, r["id"])["cmdline"] for r in runs)


def test_a_compute_that_does_not_take_it_stops_it_before_the_job_runs(home):
    from harness.plugins.mpi.launcher import find_mpiexec

    try:
        mpiexec = find_mpiexec()
    except Exception as exc:  # the [mpi] extra is part of the documented set-up
        pytest.fail(f"this test needs mpiexec: {exc}")
    env = dict(os.environ, HARNESS_HOME=str(home), **PROBE)
    env["PATH"] = os.pathsep.join([str(Path(mpiexec).parent), env.get("PATH", "")])
    env.pop("HARNESS_JOB_SPEC", None)
    proc = subprocess.Popen(
        [
            harness_executable(), "train", "+estimator=probe", "estimator.seconds=4",
            "compute=mpi", "compute.process_count_per_node=2",
        ],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    seen_while_running = None
    for line in proc.stdout:
        if line.startswith("run id:"):
            time.sleep(2)  # the ranks are training now
            seen_while_running = early_workers_of(home)
    assert proc.wait(timeout=120) == 0
    assert seen_while_running == []
    (run,) = run_cli("runs", "list", "--format", "json", home=home).json()
    assert "--early" not in facts(home, run["id"])["cmdline"]


class _Job:
    def __init__(self, estimator: str, python: str = sys.executable) -> None:
        self.estimator, self.worker_python = estimator, python


def test_it_is_used_only_for_the_process_the_compute_would_start():
    proc = subprocess.Popen(
        [sys.executable, "-c", "input()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True,
    )  # fmt: skip
    control = os.pipe()[1]
    worker = early_worker.EarlyWorker(proc, "probe", {"A": "1"}, control)
    try:
        assert worker.matches(_Job("probe"), {"A": "1"}) is None
        assert "preloaded estimator 'probe'" in worker.matches(_Job("sklearn"), {"A": "1"})
        assert "runs in /env/bin/python" in worker.matches(
            _Job("probe", "/env/bin/python"), {"A": "1"}
        )
        assert worker.matches(_Job("probe"), {"A": "2"}) == "the environment changed: A"
    finally:
        worker.dismiss()
    assert proc.returncode is not None
    assert worker.matches(_Job("probe"), {"A": "1"}).startswith("it exited")


@pytest.mark.parametrize(
    ("args", "named"),
    [
        ([], "sklearn"),  # the primary config's default
        (["+estimator=pytorch", "lr=0.003"], "pytorch"),
        (["+estimator=pytorch", "estimator=chainer"], "chainer"),  # the last wins
        (["-m", "+estimator=pytorch", "lr=0.1,0.2"], None),
        (["+estimator=pytorch", "--cfg", "job"], None),
        (["hydra.mode=MULTIRUN"], None),
        (["--config-name", "mine"], None),
    ],
)
def test_the_estimator_is_read_from_the_command_line(args, named):
    assert early_worker.estimator_named(args) == named
