"""Invariant 4 (Ctrl-C): the terminal's SIGINT to the whole process group of
`harness train` ends every started run `Canceled` with what it logged kept, leaves no
run `Queued`/`Running`, records the jobs that never started, and prints a summary
that matches the records; exit 130, as for a single run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from harness import envvars
from harness.testing import harness_executable, run_cli, script_job, workspace_processes

# Logs a metric every 0.1 s for up to 60 s: long enough to be interrupted mid-run.
SCRIPT = """
import argparse, os, time
from harness import Run
parser = argparse.ArgumentParser()
parser.add_argument("--x", type=float)
args = parser.parse_args()
run = Run.get_context()
os.makedirs("outputs", exist_ok=True)
with open("outputs/started.txt", "w") as handle:
    handle.write("started")
for step in range(600):
    run.log("loss", float(step))
    print("step", step, flush=True)
    time.sleep(0.1)
run.log("score", args.x)
"""

GRID = "+estimator.script_params.x=1,2,3,4"


def _script_job(tmp_path: Path) -> list[str]:
    return script_job(tmp_path, SCRIPT)


def _logging_runs(home: Path) -> list[Path]:
    """Run folders whose job has logged at least one metric line."""
    return [
        p.parent.parent for p in (home / "runs").glob("*/metrics/*.jsonl") if p.stat().st_size > 0
    ]


def _start_train(home: Path, tmp_path: Path, args: list[str], **env: str) -> subprocess.Popen:
    """`harness train ARGS` in its own process group, as a terminal gives it."""
    env = {**os.environ, "HARNESS_HOME": str(home), **env}
    env.pop("HARNESS_JOB_SPEC", None)
    return subprocess.Popen(
        [harness_executable(), "train", *args],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _interrupt_when_running(
    home: Path, tmp_path: Path, args: list[str], running: int, made: int = 0
):
    """Ctrl-C once ``running`` jobs have logged and ``made`` runs exist."""
    proc = _start_train(home, tmp_path, args)
    deadline = time.monotonic() + 180
    while len(_logging_runs(home)) < running or len(_runs(home)) < made:
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the jobs never started:\n" + "".join(proc.communicate()))
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: every process of the group
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


def _runs(home: Path) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text()) for p in (home / "runs").glob("*/run.json")}


def _assert_canceled_with_what_it_logged(home: Path, run_id: str, record: dict) -> None:
    assert record["status"] == "Canceled", record
    folder = home / "runs" / run_id
    assert (folder / "outputs" / "started.txt").read_text() == "started"
    assert "step 0" in (folder / "logs" / "stdout.txt").read_text()
    metrics = run_cli("runs", "metrics", run_id, "--format", "json", home=home)
    assert metrics.returncode == 0, metrics.output
    assert "loss" in metrics.stdout, metrics.output


def _assert_no_process_left(home: Path) -> None:
    assert workspace_processes(home) == [], "a process of the run or sweep outlived it"


def test_ctrl_c_on_a_single_run_cancels_it_and_exits_130(home, tmp_path):
    code, out, err = _interrupt_when_running(home, tmp_path, _script_job(tmp_path), 1)
    assert code == 130, out + err
    ((run_id, record),) = _runs(home).items()
    _assert_canceled_with_what_it_logged(home, run_id, record)
    _assert_no_process_left(home)


@pytest.mark.parametrize(
    ("launcher", "in_flight", "ahead"),
    [("basic", 1, None), ("joblib", 2, None), ("joblib", 2, 2)],
)
def test_ctrl_c_on_a_sweep_cancels_its_runs_and_the_summary_says_so(
    home, tmp_path, launcher, in_flight, ahead
):
    args = ["-m", *_script_job(tmp_path), GRID, f"hydra/launcher={launcher}"]
    if launcher == "joblib":
        args.append("hydra.launcher.n_jobs=2")
    if ahead is not None:  # the two other jobs' runs wait Queued for a slot
        args.append(f"sweep.prepare_ahead={ahead}")
    made = 4 if ahead else 0
    code, out, err = _interrupt_when_running(home, tmp_path, args, in_flight, made)
    assert code == 130, out + err

    runs = _runs(home)
    # The jobs that had started are canceled with what they logged. A run made
    # ready ahead (joblib: its run waited Queued for a slot) never started its job:
    # Canceled, "not started". None is left Queued or Running.
    started = {k: v for k, v in runs.items() if v.get("started")}
    assert len(started) == in_flight, runs
    for run_id, record in started.items():
        _assert_canceled_with_what_it_logged(home, run_id, record)
    waited = [v for v in runs.values() if not v.get("started")]
    if ahead:  # both made ready ahead, and waiting when the Ctrl-C came
        assert len(waited) == 2, runs
    for record in waited:
        assert record["status"] == "Canceled", record
        assert record["error"] == "not started: canceled by the user", record
        assert not (home / "runs" / record["id"] / "outputs" / "started.txt").exists()

    (sweep_dir,) = (home / "sweeps").iterdir()
    sweep = json.loads((sweep_dir / "sweep.json").read_text())
    assert sweep["status"] == "Canceled", (sweep, out, err)
    unstarted = [json.loads(p.read_text()) for p in (sweep_dir / "unstarted").glob("*.json")]
    assert len(unstarted) + len(waited) == 4 - in_flight
    assert {u["status"] for u in unstarted} <= {"Canceled"}
    assert all(u["error"].startswith("not started: ") for u in unstarted), unstarted

    # The saved and the shown summary agree with the records.
    shown = run_cli("sweeps", "show", sweep["id"], "--format", "json", home=home).json()
    assert shown["status"] == "Canceled"
    rows = {r["run_id"]: r["status"] for r in shown["runs"] if r["run_id"]}
    assert rows == {run_id: record["status"] for run_id, record in runs.items()}
    counts = shown["counts"]
    assert counts["total"] == 4 and counts["canceled"] == 4
    assert counts["not_started"] == 4 - in_flight and counts["failed"] == 0
    saved = json.loads((sweep_dir / "summary.json").read_text())
    assert saved["counts"] == counts and saved["exit_code"] == 130
    expected = (
        f"4 runs: 0 completed, 0 failed, 0 early-terminated, {in_flight} canceled, "
        f"{4 - in_flight} not started"
    )
    assert expected in out, out
    assert "Running" not in out.split(f"sweep {sweep['id']}")[-1], out
    _assert_no_process_left(home)


# A Ctrl-C that Python swallows. The default SIGINT handler raises KeyboardInterrupt
# wherever the main thread happens to be; when that is an at-fork hook (Popen with a
# preexec_fn runs them), Python prints "Exception ignored in: ..." and goes on, and
# the Ctrl-C is lost: CI once saw a basic sweep interrupted at a job's start run to
# the end and exit 0. This sitecustomize puts the signal exactly there: on the
# driver's first fork after the trigger file appears.
SWALLOWING_SITE = """
import os, signal, time

def _interrupt_inside_the_hook():
    trigger = os.environ.get("SWALLOW_TRIGGER", "")
    if os.getppid() != int(os.environ["SWALLOW_PARENT"]) or not os.path.exists(trigger):
        return
    os.replace(trigger, trigger + ".fired")
    os.kill(os.getpid(), signal.SIGINT)
    for _ in range(50):  # the signal's handler runs here, inside the hook
        time.sleep(0.01)

os.register_at_fork(after_in_parent=_interrupt_inside_the_hook)
"""

# Sleeps, so a sweep of it has job starts to interrupt at.
SLEEPING_SCRIPT = """
import argparse, time
from harness import Run
parser = argparse.ArgumentParser()
parser.add_argument("--x", type=float)
parser.add_argument("--sleep", type=float, default=1.0)
args = parser.parse_args()
time.sleep(args.sleep)
Run.get_context().log("score", args.x)
"""


def _start_with_swallowing_site(home: Path, tmp_path: Path, args: list[str], **env: str):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SWALLOWING_SITE)
    trigger = tmp_path / "interrupt-now"
    proc = _start_train(
        home,
        tmp_path,
        args,
        PYTHONPATH=os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")])),
        SWALLOW_TRIGGER=str(trigger),
        SWALLOW_PARENT=str(os.getpid()),  # only `harness train` itself, not its jobs
        **env,
    )
    return proc, trigger


def test_a_swallowed_ctrl_c_at_a_sweep_jobs_start_still_stops_the_sweep(home, tmp_path):
    job = script_job(tmp_path, SLEEPING_SCRIPT)
    # Each job a fresh process, forked by the driver at its start: with the fork
    # server (the default) the driver forks once, before the first job, and a job's
    # start is a message to the server, where no at-fork hook can swallow a Ctrl-C.
    proc, trigger = _start_with_swallowing_site(
        home,
        tmp_path,
        ["-m", *job, "+estimator.script_params.x=0,1,2,3,4"],
        **{envvars.EARLY_WORKER: "0"},
    )
    deadline = time.monotonic() + 180
    while sum(r["status"] == "Completed" for r in _runs(home).values()) < 1:
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.1)
    trigger.touch()  # the next job's start gets the Ctrl-C
    out, err = proc.communicate(timeout=120)
    assert Path(f"{trigger}.fired").exists(), out + err
    assert "KeyboardInterrupt" in err, err  # Python did swallow it in the hook
    assert proc.returncode == 130, out + err
    runs = _runs(home)
    assert len(runs) < 5, runs  # the sweep stopped
    assert "Running" not in {r["status"] for r in runs.values()}
    (sweep_dir,) = (home / "sweeps").iterdir()
    assert json.loads((sweep_dir / "sweep.json").read_text())["status"] == "Canceled"
    _assert_no_process_left(home)


def test_a_swallowed_ctrl_c_before_a_single_run_starts_still_stops_it(home, tmp_path):
    job = script_job(tmp_path, SLEEPING_SCRIPT)
    proc, trigger = _start_with_swallowing_site(
        home, tmp_path, [*job, "+estimator.script_params.x=1", "+estimator.script_params.sleep=5"]
    )
    trigger.touch()  # the driver's first fork (its early worker) gets the Ctrl-C
    out, err = proc.communicate(timeout=120)
    assert Path(f"{trigger}.fired").exists(), out + err
    assert "KeyboardInterrupt" in err, err
    assert proc.returncode == 130, out + err
    assert "Completed" not in {r["status"] for r in _runs(home).values()}
    _assert_no_process_left(home)


def _joblib_sweep_running(home: Path, tmp_path: Path) -> subprocess.Popen:
    args = [
        "-m",
        *_script_job(tmp_path),
        GRID,
        "hydra/launcher=joblib",
        "hydra.launcher.n_jobs=2",
    ]
    proc = _start_train(home, tmp_path, args)
    deadline = time.monotonic() + 180
    while len(_logging_runs(home)) < 2:
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the jobs never started:\n" + "".join(proc.communicate()))
        time.sleep(0.2)
    return proc


def _wait_for_no_process(home: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while workspace_processes(home) and time.monotonic() < deadline:
        time.sleep(0.5)
    _assert_no_process_left(home)


def test_sigterm_to_a_joblib_sweep_cancels_its_runs_and_exits_130(home, tmp_path):
    proc = _joblib_sweep_running(home, tmp_path)
    os.kill(proc.pid, signal.SIGTERM)  # the sweep's process only, as `kill PID` does
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, (proc.returncode, out, err)
    runs = _runs(home)
    assert {r["status"] for r in runs.values()} == {"Canceled"}, runs
    started = {k: v for k, v in runs.items() if v.get("started")}
    assert len(started) == 2, runs
    for run_id, record in started.items():
        _assert_canceled_with_what_it_logged(home, run_id, record)
    for record in runs.values():  # made ready ahead, waiting for a slot: never started
        if not record.get("started"):
            assert record["error"] == "not started: canceled by the user", record
    (sweep_dir,) = (home / "sweeps").iterdir()
    assert json.loads((sweep_dir / "sweep.json").read_text())["status"] == "Canceled"
    _wait_for_no_process(home, 30)


def test_sigkill_of_a_joblib_sweep_stops_its_runs_and_leaves_no_process(home, tmp_path):
    proc = _joblib_sweep_running(home, tmp_path)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    # The workers' drivers cancel what they hold: no run trains on to Completed.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        statuses = {r["status"] for r in _runs(home).values()}
        if statuses <= {"Canceled", "Failed"}:
            break
        time.sleep(0.5)
    runs = _runs(home)
    assert {r["status"] for r in runs.values()} == {"Canceled"}, runs
    _wait_for_no_process(home, 30)  # no loky worker, no resource tracker
    listed = run_cli("sweeps", "list", "--format", "json", home=home).json()
    assert [s["status"] for s in listed] == ["Failed"], listed  # its driver died
