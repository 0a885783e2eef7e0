"""`harness runs ...` through the real CLI: history, files, cancel, follow, stale runs, plots."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from harness.run.record import COMPLETED, FAILED, RUNNING
from harness.run.store import RunStore, now_iso
from harness.testing import SLOW_SKLEARN_JOB, harness_executable, job_processes, run_cli


def fake_run(store: RunStore, status: str = COMPLETED, metrics=None, **fields):
    """A run written through the store API, with a metric history, without training."""
    base = dict(experiment="exp", estimator="sklearn", compute="local", params={"lr": 0.1})
    base.update(fields)
    record = store.create(**base)
    lines = []
    for name, values in (metrics or {}).items():
        for step, value in enumerate(values):
            lines.append(
                json.dumps({"name": name, "value": value, "step": step, "time": 1e9 + step})
            )
    (record.path / "metrics" / "rank0-1.jsonl").write_text("".join(line + "\n" for line in lines))
    if status != "Queued":
        store.set_status(record.id, RUNNING, started=now_iso())
    if status not in ("Queued", RUNNING):
        store.set_status(record.id, status)
    return store.get(record.id)


def start_slow_job(home: Path, *extra: str) -> tuple[subprocess.Popen, str, Path]:
    env = {**os.environ, "HARNESS_HOME": str(home)}
    env.pop("HARNESS_JOB_SPEC", None)
    proc = subprocess.Popen(
        [harness_executable(), "train", *SLOW_SKLEARN_JOB, *extra],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    run_id = proc.stdout.readline().split(":", 1)[1].strip()
    run_dir = home / "runs" / run_id
    deadline = time.time() + 90
    stdout_log = run_dir / "logs" / "stdout.txt"
    while not stdout_log.exists() or "training MLPClassifier" not in stdout_log.read_text():
        assert time.time() < deadline, "job never started"
        assert proc.poll() is None, proc.stderr.read()
        time.sleep(0.2)
    return proc, run_id, run_dir


def workers_of(run_dir: Path) -> list[int]:
    return job_processes(run_dir)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One real run, and a second written through the store API with the same
    params but C=1 and its own metrics, shared by the read-only tests."""
    home = tmp_path_factory.mktemp("runs-home")
    result = run_cli("train", "estimator.C=0.5", "experiment=pair", "+tags.kind=real", home=home)
    assert result.returncode == 0, result.output
    store = RunStore(home)
    real = store.get(result.run_id)
    params = json.loads(json.dumps(real.params))
    params["estimator"]["C"] = 1.0
    other = fake_run(store, params=params, experiment="pair", metrics={"accuracy": [0.5, 0.8]})
    return home, [real.id, other.id]


def test_list_filters_by_experiment_status_estimator_tag_and_sorts_by_metric(home):
    store = RunStore(home)
    a = fake_run(store, metrics={"acc": [0.5, 0.7]}, experiment="e1", tags={"team": "x"})
    b = fake_run(store, metrics={"acc": [0.9]}, experiment="e1", estimator="pytorch")
    c = fake_run(store, FAILED, metrics={"acc": [0.1]}, experiment="e2", tags={"team": "y"})
    d = fake_run(store, metrics={"loss": [1.0]}, experiment="e2")

    def ids(*args):
        result = run_cli("runs", "list", "--format", "json", *args, home=home)
        assert result.returncode == 0, result.output
        return [r["id"] for r in result.json()]

    assert set(ids("--experiment", "e1")) == {a.id, b.id}
    assert ids("--status", "failed") == [c.id]
    assert ids("--estimator", "pytorch") == [b.id]
    assert set(ids("--tag", "team")) == {a.id, c.id}
    assert ids("--tag", "team=y") == [c.id]
    assert ids("--sort", "acc") == [b.id, a.id, c.id, d.id]  # runs without it go last
    assert ids("--sort", "acc", "--asc") == [c.id, a.id, b.id, d.id]
    assert ids("--sort", "acc", "--limit", "1") == [b.id]
    item = run_cli("runs", "list", "--format", "json", home=home).json()[0]
    # README's documented keys stay; duration_s is new.
    assert {"id", "experiment", "status", "estimator", "compute", "created", "started"} <= set(item)
    assert {"ended", "sweep_id", "tags", "error", "metrics", "duration_s"} <= set(item)
    bad = run_cli("runs", "list", "--tag", "=x", home=home)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_show_metrics_tag_download_and_compare(trained, tmp_path):
    home, (first, second) = trained
    shown = run_cli("runs", "show", first, "--format", "json", home=home).json()
    assert shown["status"] == "Completed" and shown["duration_s"] > 0
    assert shown["tags"] == {"kind": "real"}
    assert "outputs/model.joblib" in shown["files"]
    table = run_cli("runs", "show", first, home=home)
    assert "duration: " in table.stdout and "provenance:" in table.stdout

    history = run_cli("runs", "metrics", first, "accuracy", "--format", "json", home=home).json()
    assert history[0]["step"] == 0 and history[0]["value"] == shown["metrics"]["accuracy"]
    missing = run_cli("runs", "metrics", first, "nope", home=home)
    assert missing.returncode == 2 and "no metric 'nope'" in missing.stderr

    tagged = run_cli("runs", "tag", first, "stage=prod", "owner=me", home=home)
    assert tagged.returncode == 0, tagged.output
    after = run_cli("runs", "show", first, "--format", "json", home=home).json()
    assert after["tags"] == {"kind": "real", "stage": "prod", "owner": "me"}

    dest = tmp_path / "copy.joblib"
    got = run_cli("runs", "download", first, "outputs/model.joblib", str(dest), home=home)
    assert got.returncode == 0, got.output
    assert dest.read_bytes() == (home / "runs" / first / "outputs" / "model.joblib").read_bytes()
    escape = run_cli("runs", "download", first, "../../secret", str(tmp_path), home=home)
    assert escape.returncode == 2 and "outside the folder" in escape.stderr

    compared = run_cli("runs", "compare", first, second, "--format", "json", home=home).json()
    assert compared["params"] == {"estimator.C": {first: 0.5, second: 1.0}}
    assert set(compared["metrics"]["accuracy"]) == {first, second}
    # the metric each run was judged by, as its record keeps it: the goal is known
    assert shown["extra"]["primary"] == {"metric": "accuracy", "goal": "maximize"}
    assert compared["goals"] == {"accuracy": "maximize"}
    table = run_cli("runs", "compare", first, second, home=home)
    assert "estimator.C" in table.stdout and "seed" not in table.stdout
    assert "metric: accuracy (maximize)" in table.stdout


def test_plot_writes_a_png_of_the_requested_size(trained, tmp_path):
    import matplotlib.image

    home, (first, _) = trained
    store = RunStore(home)
    # A failed run is drawn with what it logged.
    failed = fake_run(store, FAILED, metrics={"accuracy": [0.2, 0.4, 0.5]})
    out = tmp_path / "curves.png"
    result = run_cli(
        "runs",
        "plot",
        first,
        failed.id,
        "--metric",
        "accuracy",
        "-o",
        str(out),
        "--size",
        "800x500",
        home=home,
    )
    assert result.returncode == 0, result.output
    image = matplotlib.image.imread(out)
    assert image.shape[:2] == (500, 800)
    assert image[..., :3].std() > 0.05  # not a blank canvas
    unknown = run_cli("runs", "plot", first, "--metric", "nope", "-o", str(out), home=home)
    assert unknown.returncode == 2 and "nope" in unknown.stderr


def test_delete_asks_then_deletes_and_refuses_running_runs(home):
    store = RunStore(home)
    done = fake_run(store)
    running = fake_run(store, RUNNING, pid=os.getpid(), host=socket.gethostname())
    kept = run_cli("runs", "delete", done.id, home=home, input="n\n")
    assert kept.returncode == 1 and done.path.is_dir()
    gone = run_cli("runs", "delete", done.id, home=home, input="y\n")
    assert gone.returncode == 0, gone.output
    assert not done.path.exists()
    refused = run_cli("runs", "delete", running.id, "--yes", home=home)
    assert refused.returncode == 2 and "cancel it first" in refused.stderr
    assert running.path.is_dir()
    assert run_cli("runs", "delete", "nope", "--yes", home=home).returncode == 2


def test_stale_running_run_with_dead_pid_is_shown_failed(home):
    store = RunStore(home)
    dead = subprocess.Popen(["true"])
    dead.wait()
    record = fake_run(store, RUNNING, pid=dead.pid, host=socket.gethostname())
    alive = fake_run(store, RUNNING, pid=os.getpid(), host=socket.gethostname())
    runs = {r["id"]: r for r in run_cli("runs", "list", "--format", "json", home=home).json()}
    assert runs[record.id]["status"] == "Failed"
    assert f"pid {dead.pid}" in runs[record.id]["error"]
    assert runs[alive.id]["status"] == "Running"
    assert store.get(record.id).status == FAILED  # written, not only shown


@pytest.mark.slow
def test_killed_driver_is_detected_as_failed(home):
    proc, run_id, run_dir = start_slow_job(home)
    try:
        os.kill(proc.pid, signal.SIGKILL)  # no chance to write a final status
        proc.wait(timeout=30)
        shown = run_cli("runs", "show", run_id, "--format", "json", home=home).json()
        assert shown["status"] == "Failed"
        assert "driver process" in shown["error"] and str(proc.pid) in shown["error"]
        # The job dies with its driver instead of training on unsupervised.
        deadline = time.time() + 30
        while workers_of(run_dir):
            assert time.time() < deadline, "the job outlived its killed driver"
            time.sleep(0.2)
    finally:
        for pid in workers_of(run_dir):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.slow
def test_cancel_stops_a_running_job_and_logs_follow_sees_it_end(home, tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    proc, run_id, run_dir = start_slow_job(
        home, "+logger=mlflow", f"logger.mlflow.tracking_uri={uri}"
    )
    deadline = time.time() + 120
    while "mlflow_run_id" not in RunStore(home).get(run_id).tags:  # its MLflow run exists
        assert time.time() < deadline, "the mlflow logger never started"
        time.sleep(0.3)
    env = {**os.environ, "HARNESS_HOME": str(home)}
    follower = subprocess.Popen(
        [harness_executable(), "runs", "logs", run_id, "-f"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.0)
    assert follower.poll() is None, "logs -f must keep following a running job"
    assert workers_of(run_dir), "the job should be running"

    canceled = run_cli("runs", "cancel", run_id, home=home)
    assert canceled.returncode == 0, canceled.output
    assert "Canceled" in canceled.stdout
    assert proc.wait(timeout=60) == 130
    assert workers_of(run_dir) == []
    shown = run_cli("runs", "show", run_id, "--format", "json", home=home).json()
    assert shown["status"] == "Canceled"
    assert shown["metrics"]["n_train"] == 1347  # what it wrote is kept
    assert "logs/stdout.txt" in shown["files"]

    out, err = follower.communicate(timeout=30)
    assert follower.returncode == 130
    assert "training MLPClassifier" in out
    assert f"run {run_id}: Canceled" in err
    # The job itself may end "normally" (the MLP swallows SIGINT); the driver's
    # Canceled still reaches MLflow.
    import mlflow

    mlflow.set_tracking_uri(uri)
    (status,) = mlflow.search_runs(search_all_experiments=True)["status"]
    assert status == "KILLED"
    again = run_cli("runs", "cancel", run_id, home=home)
    assert again.returncode == 2 and "already Canceled" in again.stderr
