"""Sweeps through the real `harness` command: grid, failures, Optuna, joblib, limits."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from harness.testing import run_cli, script_job

# Iris fits in milliseconds: the runs cost little more than their process start.
FAST = ["estimator.data.format=iris", "estimator.max_iter=200"]


def sweep_id_of(result) -> str:
    for line in result.stdout.splitlines():
        if line.startswith("sweep id:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no 'sweep id:' line\n{result.output}")


def override(row, key: str) -> str:
    """The value a run's overrides give ``key``."""
    (value,) = [o.split("=", 1)[1] for o in row["overrides"] if o.startswith(f"{key}=")]
    return value


def cli_json(home, *args):
    result = run_cli(*args, "--format", "json", home=home)
    assert result.returncode == 0, result.output
    return result.json()


def run_json(home, run_id):
    return cli_json(home, "runs", "show", run_id)


def job_spec(home, run_id):
    """The run's job.json: what its job process was told."""
    return json.loads((home / "runs" / run_id / "job.json").read_text())


def test_grid_with_one_failing_combination(home):
    result = run_cli("train", "-m", *FAST, "estimator.C=0.01,1,-1", home=home)
    assert result.returncode == 1, result.output  # one job failed
    sweep_id = sweep_id_of(result)
    # The summary table: every combination, the failure with its reason, the best.
    assert "3 runs: 2 completed, 1 failed" in result.stdout
    assert "estimator.C=-1" in result.stdout and "must be a float in the range" in result.stdout
    shown = cli_json(home, "sweeps", "show", sweep_id)
    assert shown["status"] == "Failed" and shown["metric"] == "accuracy"
    assert shown["counts"] == {
        "total": 3,
        "completed": 2,
        "failed": 1,
        "canceled": 0,
        "early_terminated": 0,
        "not_started": 0,
        "damaged": 0,
    }
    rows = shown["runs"]
    completed = [r for r in rows if r["status"] == "Completed"]
    # Every run is linked to the sweep, and the table is sorted best first.
    for row in completed:
        assert run_json(home, row["run_id"])["sweep_id"] == sweep_id
        assert run_json(home, row["run_id"])["metrics"]["accuracy"] == row["value"]
    assert [r["status"] for r in rows] == ["Completed", "Completed", "Failed"]
    assert completed[0]["value"] >= completed[1]["value"]
    assert override(rows[2], "estimator.C") == "-1" and "must be a float" in rows[2]["error"]
    # `best` agrees with the true best of the completed runs.
    best = cli_json(home, "sweeps", "best", sweep_id)
    assert best["value"] == max(r["value"] for r in completed)
    assert best["run_id"] == completed[0]["run_id"] and best["metric"] == "accuracy"
    # The list knows it too.
    (listed,) = cli_json(home, "sweeps", "list")
    assert listed["id"] == sweep_id and listed["best_run_id"] == best["run_id"]


def test_fail_fast_stops_the_sweep_at_the_first_failure(home):
    result = run_cli("train", "-m", *FAST, "estimator.C=-1,0.5", "sweep.fail_fast=true", home=home)
    assert result.returncode == 1, result.output
    shown = cli_json(home, "sweeps", "show", sweep_id_of(result))
    statuses = {override(r, "estimator.C"): (r["status"], r["error"]) for r in shown["runs"]}
    assert statuses["-1"][0] == "Failed"
    assert statuses["0.5"][0] == "Canceled"
    assert "not started: stopped by sweep.fail_fast" in statuses["0.5"][1]
    assert not (home / "runs").exists() or not list((home / "runs").iterdir())


def test_joblib_parallel_sweep_keeps_every_record_intact(home):
    pytest.importorskip("hydra_plugins.hydra_joblib_launcher")  # the `sweeps` extra
    values = ["0.01", "0.1", "1", "10"]
    result = run_cli(
        "train",
        "-m",
        *FAST,
        f"estimator.C={','.join(values)}",
        "hydra/launcher=joblib",
        "sweep.max_concurrent_runs=2",
        home=home,
    )
    assert result.returncode == 0, result.output
    sweep_id = sweep_id_of(result)
    runs = cli_json(home, "runs", "list")
    assert len(runs) == 4
    pids = set()
    for summary in runs:
        data = run_json(home, summary["id"])
        assert data["status"] == "Completed" and data["sweep_id"] == sweep_id
        assert 0 < data["metrics"]["accuracy"] <= 1
        assert "outputs/model.joblib" in data["files"]
        # No policy reads its metric while it runs: the job flushes on its own time.
        assert job_spec(home, summary["id"])["prompt_metrics"] == []
        pids.add(data["provenance"].get("pid") or summary["id"])
    shown = cli_json(home, "sweeps", "show", sweep_id)
    assert shown["launcher"] == "joblib" and shown["counts"]["completed"] == 4
    # joblib's default (all cores) was capped by sweep.max_concurrent_runs.
    assert shown["applied"] == {"hydra.launcher.n_jobs": 2}
    assert sorted(override(r, "estimator.C") for r in shown["runs"]) == sorted(values)


def test_optuna_best_is_the_true_best_of_its_trials(home):
    pytest.importorskip("optuna")  # the `sweeps` extra
    result = run_cli(
        "train",
        "-m",
        *FAST,
        "hydra/sweeper=optuna",
        "hydra/sweeper/sampler=random",
        "hydra.sweeper.sampler.seed=3",
        "estimator.C=choice(0.001,0.03,1)",
        "sweep.max_total_runs=4",  # becomes Optuna's n_trials
        home=home,
    )
    assert result.returncode == 0, result.output
    sweep_id = sweep_id_of(result)
    shown = cli_json(home, "sweeps", "show", sweep_id)
    assert shown["sweeper"] == "optuna" and shown["counts"]["completed"] == 4
    assert shown["applied"] == {
        "hydra.sweeper.n_trials": 4,
        "hydra.sweeper.direction": "maximize",
    }
    values = [r["value"] for r in shown["runs"]]
    assert len(set(values)) > 1, "the trials must differ for the test to mean anything"
    best = cli_json(home, "sweeps", "best", sweep_id)
    assert best["value"] == max(values)
    # Optuna was told to maximise: its own best is the same trial value.
    sweep_dir = cli_json(home, "sweeps", "list")[0]
    results_file = next((home / "multirun").glob("*/optimization_results.yaml"))
    optuna_best = yaml.safe_load(results_file.read_text())
    assert optuna_best["best_value"] == pytest.approx(best["value"])
    assert sweep_dir["goal"] == "maximize"


def test_a_contradicting_optuna_direction_is_refused(home):
    pytest.importorskip("optuna")
    result = run_cli(
        "train",
        "-m",
        *FAST,
        "hydra/sweeper=optuna",
        "hydra.sweeper.direction=minimize",
        "estimator.C=choice(0.1,1)",
        home=home,
    )
    assert result.returncode == 2, result.output
    assert "contradicts the sweep's goal (accuracy: maximize)" in result.stderr
    assert not (home / "runs").exists() or not list((home / "runs").iterdir())


@pytest.mark.parametrize(
    "args, message",
    [
        (["estimator.C=0.1,1,10", "sweep.max_total_runs=2"], "grid has 3 combinations"),
        (["estimator.C=0.1,1", "sweep.policy=bandit"], "exactly one of"),
        (["estimator.C=0.1,1", "sweep.policy=bandid"], "unknown sweep.policy 'bandid'"),
        (["estimator.C=0.1,1", "sweep.goal=up"], "sweep.goal must be maximize or minimize"),
        (["estimator.C=0.1,1", "sweep.metric=loss"], "needs sweep.goal"),
    ],
)
def test_sweep_settings_that_cannot_be_honoured_are_refused(home, args, message):
    result = run_cli("train", "-m", *FAST, *args, home=home)
    assert result.returncode == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.stderr


# A training script whose `score` curve is fixed in advance: the run with quality
# 0.2 is certain to fall behind the one with quality 1.0. A worse run trains longer
# (steps / quality), so a parallel peer always catches up before it would end.
# It also starts reporting a second later: an asynchronous policy (ASHA, truncation)
# judges a run by the peers that reached its step before it, and two parallel jobs
# that start within moments of each other would otherwise race for that.
RAMP_SCRIPT = """
import argparse, time
from harness import Run

parser = argparse.ArgumentParser()
parser.add_argument("--quality", type=float)
parser.add_argument("--steps", type=int)
args = parser.parse_args()
run = Run.get_context()
time.sleep(1.0 if args.quality < 1 else 0.0)
for step in range(round(args.steps / args.quality)):
    run.log("score", args.quality * (step + 1), step=step)
    time.sleep(0.1)
"""


@pytest.fixture
def ramp(tmp_path):
    """Overrides for a script-mode sweep over the ramp script's quality."""
    return [
        *script_job(tmp_path, RAMP_SCRIPT, entry="ramp.py"),
        "+estimator.script_params.quality=1.0,0.2",
        "+estimator.script_params.steps=20",
    ]


def score_reports(home, run_id) -> int:
    return len(run_json(home, run_id)["history"].get("score", []))


DELAY = "sweep.policy.delay_evaluation=2"


@pytest.mark.parametrize(
    "launcher, policy",
    [
        ([], ["sweep.policy=bandit", "sweep.policy.slack_factor=0.1", DELAY]),
        (
            ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"],
            ["sweep.policy=truncation", "sweep.policy.truncation_percentage=50", DELAY],
        ),
        ([], ["sweep.policy=asha", "sweep.policy.grace_period=3"]),
        (
            ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"],
            ["sweep.policy=asha", "sweep.policy.grace_period=3", "sweep.policy.reduction_factor=2"],
        ),
    ],
    ids=["bandit-sequential", "truncation-joblib", "asha-sequential", "asha-joblib"],
)
def test_policy_stops_the_clearly_worse_run_early(home, ramp, launcher, policy):
    if launcher:
        pytest.importorskip("hydra_plugins.hydra_joblib_launcher")
    result = run_cli(
        "train",
        "-m",
        *ramp,
        *policy,
        *launcher,
        home=home,
    )
    assert result.returncode == 0, result.output  # an early stop is not a failure
    name = policy[0].split("=")[1]
    shown = cli_json(home, "sweeps", "show", sweep_id_of(result))
    rows = {override(r, "+estimator.script_params.quality"): r for r in shown["runs"]}
    good, bad = rows["1.0"], rows["0.2"]
    assert good["status"] == "Completed" and good["best"]
    assert score_reports(home, good["run_id"]) == 20
    # The policy reads `score` while the jobs run: each report is written at once.
    assert job_spec(home, good["run_id"])["prompt_metrics"] == ["score"]
    assert bad["status"] == "Canceled" and bad["early_terminated"]
    assert bad["error"].startswith(f"early-terminated by {name} policy")
    # Stopped early: it would have reported 100 times (20 / 0.2) if left alone.
    assert 3 <= score_reports(home, bad["run_id"]) < 100
    assert run_json(home, bad["run_id"])["status"] == "Canceled"
    assert shown["counts"]["early_terminated"] == 1 and shown["counts"]["failed"] == 0
    assert "1 early-terminated (saved ~" in result.stdout


def test_max_duration_cancels_the_running_job_and_skips_the_rest(home, ramp):
    # Each run would report `score` about 100 times in ≥ 10 s; the sweep may take 6 s.
    ramp = [a.replace("=1.0,0.2", "=0.2,0.21") for a in ramp]
    result = run_cli("train", "-m", *ramp, "sweep.max_duration=6", home=home)
    assert result.returncode == 0, result.output
    shown = cli_json(home, "sweeps", "show", sweep_id_of(result))
    assert shown["counts"]["total"] == 2 and shown["counts"]["canceled"] == 2
    for row in shown["runs"]:
        assert "sweep.max_duration (6 s) reached" in row["error"]
        if row["run_id"]:
            assert score_reports(home, row["run_id"]) < 95
    assert shown["counts"]["not_started"] >= 1


def test_a_long_sweeps_end_shows_its_best_rows_and_sweeps_show_lists_all(home):
    # 22 runs: the summary at the end of `train -m` draws the 20 best (a table of
    # 1,000 runs took 1.3 s and scrolled the counts away), then says where the rest are.
    result = run_cli(
        "train", "-m", "+estimator=probe", "+estimator.n=range(0,22)", "estimator.score=0.5",
        home=home, env={"HARNESS_PLUGINS": "harness.testing.probe"},
    )  # fmt: skip
    assert result.returncode == 0, result.output
    sweep_id = sweep_id_of(result)
    table = result.stdout.split("sweep id:", 1)[1]
    shown_n = {int(n) for n in re.findall(r"\+estimator\.n=(\d+)", table)}
    assert len(shown_n) == 20
    assert f"… and 2 more runs: harness sweeps show {sweep_id} lists them all" in table
    assert "22 runs: 22 completed, 0 failed" in table
    listed = run_cli("sweeps", "show", sweep_id, home=home)
    assert listed.returncode == 0, listed.output
    assert {int(n) for n in re.findall(r"\+estimator\.n=(\d+)", listed.stdout)} == set(range(22))
    assert "more run" not in listed.stdout
