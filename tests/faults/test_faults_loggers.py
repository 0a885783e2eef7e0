"""Invariant 6 (loggers): one harness run is one MLflow run, also in script mode,
where the worker and the user's script both log."""

from __future__ import annotations

from harness.testing import run_cli

# A script that trains for a few seconds: the logger starts on the flush thread
# while the script runs.
SCRIPT = """
import subprocess, sys, time
from harness import Run
run = Run.get_context()
# A second process of the same run that logs too (as the worker once did with its
# peak_rss_mb): both must reach the one MLflow run.
child = subprocess.Popen([sys.executable, "-c",
    "import time; from harness import Run; r = Run.get_context(); "
    "r.log('child_metric', 1.0); time.sleep(3)"])
for step in range(3):
    run.log("acc", 0.5 + step / 10, step=step)
    time.sleep(1.5)
child.wait()
"""


def _train_script_with_mlflow(home, tmp_path, script: str, experiment: str):
    """`harness train` of ``script`` in script mode with the mlflow logger on a fresh
    SQLite store; returns the CLI result and the tracking URI."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "train.py").write_text(script)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    result = run_cli(
        "train",
        "+estimator=script",
        f"estimator.source_directory={src}",
        "estimator.entry_script=train.py",
        "+logger=mlflow",
        f"logger.mlflow.tracking_uri={uri}",
        f"experiment={experiment}",
        home=home,
        cwd=tmp_path,
    )
    return result, uri


def test_script_mode_makes_one_mlflow_run_holding_every_metric(home, tmp_path):
    result, uri = _train_script_with_mlflow(home, tmp_path, SCRIPT, "onerun")
    assert result.returncode == 0, result.output
    shown = run_cli("runs", "show", result.run_id, "--format", "json", home=home).json()
    import mlflow

    mlflow.set_tracking_uri(uri)
    runs = mlflow.search_runs(experiment_names=["onerun"])
    assert len(runs) == 1, runs[["run_id", "status"]]
    row = runs.iloc[0]
    assert row["run_id"] == shown["tags"]["mlflow_run_id"]
    assert row["metrics.acc"] == 0.7 and row["metrics.child_metric"] == 1.0
    assert row["status"] == "FINISHED"


# The child logs one value and exits at once: its flush thread has not run yet, so
# its logger starts in Run.close at exit, during interpreter shutdown (where Python
# refuses threading._register_atexit, which MLflow's first import of
# concurrent.futures.thread needs). Before the fix that start always failed, only
# a warning on the run's stderr said so, and child_metric never reached MLflow.
SCRIPT_CHILD_EXITS_AT_ONCE = SCRIPT.replace(
    "r.log('child_metric', 1.0); time.sleep(3)", "r.log('child_metric', 1.0)"
)


def test_a_process_that_logs_and_exits_at_once_still_reaches_the_mlflow_run(home, tmp_path):
    assert SCRIPT_CHILD_EXITS_AT_ONCE != SCRIPT
    result, uri = _train_script_with_mlflow(home, tmp_path, SCRIPT_CHILD_EXITS_AT_ONCE, "atonce")
    assert result.returncode == 0, result.output
    stderr = (home / "runs" / result.run_id / "logs" / "stderr.txt").read_text()
    assert "logger 'mlflow' failed" not in stderr, stderr
    import mlflow

    mlflow.set_tracking_uri(uri)
    runs = mlflow.search_runs(experiment_names=["atonce"])
    assert len(runs) == 1, runs[["run_id", "status"]]
    row = runs.iloc[0]
    assert row["metrics.acc"] == 0.7 and row["metrics.child_metric"] == 1.0


def test_on_a_timeout_the_loggers_receive_the_runs_own_final_status(home, tmp_path):
    """The job is interrupted by the timeout; the run ends Failed and so must the
    status the loggers are given (the jsonl logger records what it was told)."""
    import json

    from harness.testing import SLOW_SKLEARN_JOB

    result = run_cli(
        "train", *SLOW_SKLEARN_JOB, "compute.timeout=8", "+logger=jsonl", home=home, cwd=tmp_path
    )
    assert result.returncode == 1, result.output
    shown = run_cli("runs", "show", result.run_id, "--format", "json", home=home).json()
    assert shown["status"] == "Failed" and "timed out" in shown["error"]
    lines = (home / "runs" / result.run_id / "logs" / "metrics.jsonl").read_text().splitlines()
    told = [json.loads(line)["status"] for line in lines if '"status"' in line]
    assert told == ["Failed"], told


def _mlflow_runs(uri: str, experiment: str):
    import mlflow

    mlflow.set_tracking_uri(uri)
    return mlflow.search_runs(experiment_names=[experiment])


def test_a_script_that_fails_before_logging_still_reaches_mlflow_as_failed(home, tmp_path):
    result, uri = _train_script_with_mlflow(
        home, tmp_path, "raise RuntimeError('boom at once')\n", "failsatonce"
    )
    assert result.returncode == 1, result.output
    runs = _mlflow_runs(uri, "failsatonce")
    assert list(runs["status"]) == ["FAILED"], runs
    assert runs.iloc[0]["tags.harness.run_id"] == result.run_id


# A ramp whose worse run the bandit policy stops early (tests/e2e/test_sweeps_cli.py).
RAMP = """
import argparse, time
from harness import Run
parser = argparse.ArgumentParser()
parser.add_argument("--quality", type=float)
args = parser.parse_args()
run = Run.get_context()
for step in range(round(20 / args.quality)):
    run.log("score", args.quality * (step + 1), step=step)
    time.sleep(0.1)
"""


def test_an_early_stopped_sweep_run_reaches_mlflow_with_its_final_status(home, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "ramp.py").write_text(RAMP)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    result = run_cli(
        "train",
        "-m",
        "+estimator=script",
        f"estimator.source_directory={src}",
        "estimator.entry_script=ramp.py",
        "estimator.primary_metric=score",
        "+estimator.script_params.quality=1.0,0.2",
        "sweep.policy=bandit",
        "sweep.policy.slack_factor=0.1",
        "sweep.policy.delay_evaluation=2",
        "+logger=mlflow",
        f"logger.mlflow.tracking_uri={uri}",
        "experiment=earlystop",
        home=home,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.output
    listed = run_cli("runs", "list", "--format", "json", home=home).json()
    assert sorted(r["status"] for r in listed) == ["Canceled", "Completed"], listed
    runs = _mlflow_runs(uri, "earlystop")
    by_run = dict(zip(runs["tags.harness.run_id"], runs["status"], strict=True))
    assert by_run == {
        r["id"]: {"Completed": "FINISHED", "Canceled": "KILLED"}[r["status"]] for r in listed
    }, (by_run, listed)
