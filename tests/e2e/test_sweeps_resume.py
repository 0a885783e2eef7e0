"""`harness sweeps resume`: a grid and an Optuna (TPE) sweep interrupted, then continued.

The grid is stopped with Ctrl-C, the Optuna sweep is killed outright (a crash:
SIGKILL, no chance to write anything). Both resume from the records alone:
finished runs are kept and not run again, the rest run, and the summary covers all.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
import yaml

from harness import testing
from harness.run.store import RunStore
from harness.sweeps.store import SweepStore
from harness.testing import harness_executable, run_cli

pytestmark = pytest.mark.slow

# Each job sleeps a little, so the sweep can be interrupted between jobs; the
# score peaks at x = 2.
SCRIPT = """
import argparse, time
from harness import Run
parser = argparse.ArgumentParser()
parser.add_argument("--x", type=float)
parser.add_argument("--sleep", type=float)
args = parser.parse_args()
time.sleep(args.sleep)
Run.get_context().log("score", -(args.x - 2.0) ** 2)
"""


@pytest.fixture
def script_job(tmp_path):
    return [*testing.script_job(tmp_path, SCRIPT), "+estimator.script_params.sleep=1"]


def start_sweep(home, *args):
    env = {**os.environ, "HARNESS_HOME": str(home)}
    env.pop("HARNESS_JOB_SPEC", None)
    proc = subprocess.Popen(
        [harness_executable(), "train", "-m", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    sweep_id = proc.stdout.readline().split(":", 1)[1].strip()
    return proc, sweep_id


def completed_runs(home, sweep_id) -> dict[str, list[str]]:
    """run id → overrides of the sweep's Completed runs."""
    store, runs = SweepStore(home), RunStore(home)
    found = {}
    for link in store.links(sweep_id):
        if runs.get(link["run_id"]).status == "Completed":
            found[link["run_id"]] = link["overrides"]
    return found


def wait_for_completed(proc, home, sweep_id, count) -> None:
    deadline = time.time() + 300
    while len(completed_runs(home, sweep_id)) < count:
        assert proc.poll() is None, proc.communicate()
        assert time.time() < deadline, "the sweep did not get far enough"
        time.sleep(0.3)


def all_runs(home) -> list:
    return [RunStore(home).get(p.name) for p in (home / "runs").iterdir() if p.is_dir()]


def test_a_grid_stopped_with_ctrl_c_resumes_without_repeating_finished_runs(home, script_job):
    grid = "+estimator.script_params.x=0,1,2,3,4"
    # a base value in the script's arguments, which each job's x replaces (resumed too)
    base = "estimator.arguments=[--x,9]"
    proc, sweep_id = start_sweep(home, *script_job, base, grid)
    wait_for_completed(proc, home, sweep_id, 2)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=120) == 130, proc.communicate()
    before = completed_runs(home, sweep_id)
    assert 2 <= len(before) < 5
    assert SweepStore(home).get(sweep_id).status == "Canceled"  # Ctrl-C: as its runs

    result = run_cli("sweeps", "resume", sweep_id[:15], home=home)
    assert result.returncode == 0, result.output
    assert f"sweep id: {sweep_id} (resumed)" in result.stdout
    for run_id in before:
        assert f"kept: run {run_id}" in result.stdout
    shown = run_cli("sweeps", "show", sweep_id, "--format", "json", home=home).json()
    assert shown["status"] == "Completed"
    assert shown["counts"]["total"] == 5 and shown["counts"]["completed"] == 5
    # The runs finished before the Ctrl-C are the sweep's runs still, not copies.
    rows = {r["run_id"]: r for r in shown["runs"]}
    assert set(before) <= set(rows)
    # Every combination completed exactly once across both attempts.
    completed = [r for r in all_runs(home) if r.status == "Completed"]
    xs = sorted(
        o for r in completed for o in r.overrides if o.startswith("+estimator.script_params.x=")
    )
    assert xs == [f"+estimator.script_params.x={x}" for x in range(5)]
    # what each run's script parsed, before and after the resume: score = -(x - 2)²
    for record in completed:
        x = next(float(o.split("=")[1]) for o in record.overrides if "script_params.x=" in o)
        assert record.metrics["score"] == -((x - 2.0) ** 2), record.id
    assert shown["best"]["overrides"].count("+estimator.script_params.x=2") == 1
    best = run_cli("sweeps", "best", sweep_id, "--format", "json", home=home).json()
    assert best["value"] == 0.0


def test_an_optuna_sweep_killed_outright_resumes_its_study(home, script_job):
    args = [
        *script_job,
        "hydra/sweeper=optuna",
        "hydra.sweeper.sampler.seed=7",
        "hydra.sweeper.sampler.n_startup_trials=3",
        "hydra.sweeper.n_jobs=1",
        "sweep.max_total_runs=6",
        "+estimator.script_params.x=interval(0.0, 4.0)",
    ]
    proc, sweep_id = start_sweep(home, *args)
    wait_for_completed(proc, home, sweep_id, 2)
    proc.kill()  # a crash: the driver gets no chance to record anything
    proc.wait(timeout=60)
    before = completed_runs(home, sweep_id)
    assert len(before) >= 2
    journal = home / "sweeps" / sweep_id / "optuna.journal"
    assert journal.stat().st_size > 0  # the study is stored in the sweep's folder

    result = run_cli("sweeps", "resume", sweep_id, home=home)
    assert result.returncode == 0, result.output
    assert f"optuna: {len(before)} finished trials kept" in result.stdout
    shown = run_cli("sweeps", "show", sweep_id, "--format", "json", home=home).json()
    assert shown["sweeper"] == "optuna" and shown["status"] == "Completed"
    assert shown["counts"]["completed"] == 6 and shown["counts"]["total"] == 6
    assert set(before) <= {r["run_id"] for r in shown["runs"]}
    # No run is left Running by the crash: its run was marked and run again.
    assert all(r.status != "Running" for r in all_runs(home))
    # Optuna's own study agrees: six completed trials, the same best value.
    import optuna

    storage = optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(journal))
    )
    study = optuna.load_study(study_name=sweep_id, storage=storage)
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(complete) == 6
    assert study.best_value == pytest.approx(shown["best"]["value"])
    results = next((home / "multirun").glob("*/optimization_results.yaml"), None)
    assert results is not None
    assert yaml.safe_load(results.read_text())["best_value"] == pytest.approx(study.best_value)


def test_resume_refuses_a_sweep_that_is_still_running(home, script_job):
    proc, sweep_id = start_sweep(home, *script_job, "+estimator.script_params.x=0,1,2,3")
    try:
        result = run_cli("sweeps", "resume", sweep_id, home=home)
        assert result.returncode == 2, result.output
        assert f"sweep {sweep_id} is still running" in result.stderr
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=120)


def test_a_stopped_sweep_resumes_from_python_as_from_the_cli(home, script_job):
    from harness.errors import ConfigError
    from harness.sdk.sweep import SweepRun
    from harness.sdk.workspace import Workspace

    proc, sweep_id = start_sweep(home, *script_job, "+estimator.script_params.x=0,1,2")
    wait_for_completed(proc, home, sweep_id, 1)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=120) == 130, proc.communicate()
    before = completed_runs(home, sweep_id)
    assert 1 <= len(before) < 3

    sweep = SweepRun(sweep_id, workspace=Workspace(home))
    assert sweep.resume() is sweep  # returns once the resumed sweep is under way
    with pytest.raises(ConfigError, match="is still running"):  # the CLI's refusal
        sweep.resume()
    sweep.wait_for_completion(timeout=600)
    shown = run_cli("sweeps", "show", sweep_id, "--format", "json", home=home).json()
    assert shown["status"] == "Completed" and shown["counts"]["completed"] == 3
    assert set(before) <= {r["run_id"] for r in shown["runs"]}  # kept, not repeated
    assert len([r for r in all_runs(home) if r.status == "Completed"]) == 3
