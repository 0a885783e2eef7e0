"""compute=ray and hydra/launcher=ray against a real two-node Ray cluster.

The cluster (a head and a worker node, each with a custom resource naming it)
is started once for this module by ``harness.testing.ray_cluster`` and stopped
at the end. Every test drives the real ``harness`` command.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from harness.run.store import RunStore
from harness.testing import SLOW_SKLEARN_JOB, harness_executable, run_cli
from harness.testing.contracts import ComputeContract
from harness.testing.requirements import unavailable

pytestmark = pytest.mark.slow

FAST = ["estimator.data.format=iris", "estimator.max_iter=200"]
ON_WORKER = "+compute.resources={worker_node:1}"


@pytest.fixture(scope="module")
def cluster():
    from harness.testing.ray_cluster import ClusterUnavailable, local_ray_cluster

    try:
        with local_ray_cluster() as started:
            yield started
    except ClusterUnavailable as exc:
        unavailable("cluster", f"no local Ray cluster: {exc}")


def cli(cluster, home, *args, **kwargs):
    return run_cli(*args, home=home, env=cluster.env, **kwargs)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return (
        Path(f"/proc/{pid}/status").exists()
        and "zombie" not in Path(f"/proc/{pid}/status").read_text()
    )


def start_on_worker(cluster, home, *extra):
    """A never-converging job placed on the worker node; returns once it trains there."""
    env = {**os.environ, **cluster.env, "HARNESS_HOME": str(home)}
    env.pop("HARNESS_JOB_SPEC", None)
    proc = subprocess.Popen(
        [harness_executable(), "train", *SLOW_SKLEARN_JOB, "compute=ray", ON_WORKER, *extra],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    run_id = proc.stdout.readline().split(":", 1)[1].strip()
    run_dir = home / "runs" / run_id
    deadline = time.time() + 180
    stdout_log = run_dir / "logs" / "stdout.txt"
    # The local log fills only through the driver's polls: the job's output came back.
    while not stdout_log.exists() or "training MLPClassifier" not in stdout_log.read_text():
        assert time.time() < deadline, "the job never started on the cluster"
        assert proc.poll() is None, proc.stderr.read()
        time.sleep(0.3)
    tags = RunStore(home).get(run_id).tags
    return proc, run_id, int(tags["ray.pid"])


def test_a_job_placed_on_the_worker_node_comes_back_with_its_run_folder(cluster, home):
    result = cli(cluster, home, "train", *FAST, "compute=ray", ON_WORKER)
    assert result.returncode == 0, result.output
    assert "training LogisticRegression" in result.stdout  # live output reached the driver
    record = RunStore(home).get(result.run_id)
    assert record.status == "Completed" and record.compute == "ray"
    # Placed by the custom resource on the worker node, not the head.
    assert record.tags["ray.node_id"] == cluster.node_ids["worker_node"]
    # The job wrote into a temporary copy on the node; everything came back here.
    run_dir = home / "runs" / result.run_id
    assert (run_dir / "outputs" / "model.joblib").stat().st_size > 0
    assert "training LogisticRegression" in (run_dir / "logs" / "stdout.txt").read_text()
    assert 0.5 < record.metrics["accuracy"] <= 1
    shown = cli(cluster, home, "runs", "show", result.run_id, "--format", "json").json()
    assert "outputs/model.joblib" in shown["files"]
    # The job ran in its own folder on the node, which is gone again.
    job = json.loads((run_dir / "job.json").read_text())
    assert job["run_dir"] == str(run_dir)


FAILING_SCRIPT = """
import os
from harness import Run
run = Run.get_context()
run.log("progress", 0.5)
os.makedirs("outputs", exist_ok=True)
with open("outputs/partial.txt", "w") as handle:
    handle.write("half done")
print("about to fail", flush=True)
raise ValueError("boom on the cluster")
"""


def test_a_failing_job_ends_failed_with_its_error_logs_outputs_and_metrics(cluster, home, tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    (source / "train.py").write_text(FAILING_SCRIPT)
    result = cli(
        cluster,
        home,
        "train",
        "+estimator=script",
        f"estimator.source_directory={source}",
        "estimator.entry_script=train.py",
        "compute=ray",
        ON_WORKER,
    )
    assert result.returncode == 1, result.output
    record = RunStore(home).get(result.run_id)
    assert record.status == "Failed"
    assert "ValueError: boom on the cluster" in record.error
    assert record.metrics["progress"] == 0.5
    run_dir = home / "runs" / result.run_id
    assert "about to fail" in (run_dir / "logs" / "stdout.txt").read_text()
    assert "Traceback" in (run_dir / "logs" / "stderr.txt").read_text()


@pytest.mark.parametrize(
    "args, message",
    [
        (["compute.num_gpus=4"], "no node of the Ray cluster has CPU=1, GPU=4"),
        (["+compute.resources={tpu_pod:1}"], "no node of the Ray cluster has CPU=1, tpu_pod=1"),
        (["compute.num_cpus=-1"], "Ray rejects the options"),
        (["compute.address=127.0.0.1:9"], "cannot join a Ray cluster at '127.0.0.1:9'"),
    ],
)
def test_options_the_cluster_cannot_honour_are_one_line(cluster, home, args, message):
    result = cli(cluster, home, "train", *FAST, "compute=ray", *args, timeout=120)
    assert result.returncode == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (home / "runs").exists() or not list((home / "runs").glob("2*"))


def test_ctrl_c_stops_the_job_on_the_node_and_the_run_is_canceled(cluster, home):
    proc, run_id, remote_pid = start_on_worker(cluster, home)
    assert pid_alive(remote_pid)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=90) == 130, proc.stderr.read()
    record = RunStore(home).get(run_id)
    assert record.status == "Canceled"
    assert record.metrics["n_train"] == 1347  # what it logged is kept
    assert not pid_alive(remote_pid), "the job's process on the node must be stopped"


def test_a_job_killed_by_the_cluster_ends_failed_with_rays_reason(cluster, home):
    proc, run_id, remote_pid = start_on_worker(cluster, home)
    # What a preemption does: the cluster kills the job's actor (and so its process).
    code = (
        "import logging, ray\n"
        f"ray.init(address={cluster.address!r}, namespace='harness', logging_level=logging.ERROR)\n"
        f"ray.kill(ray.get_actor('harness-{run_id}'))\n"
    )
    killer = subprocess.run(
        [harness_python(), "-c", code], capture_output=True, text=True, timeout=120
    )
    assert killer.returncode == 0, killer.stderr
    assert proc.wait(timeout=90) == 1, proc.stderr.read()
    record = RunStore(home).get(run_id)
    assert record.status == "Failed"
    assert record.error.startswith("Ray: ") and "ray.kill" in record.error, record.error
    deadline = time.time() + 30
    while pid_alive(remote_pid):  # it gets SIGTERM as its actor dies
        assert time.time() < deadline, "the job outlived its actor"
        time.sleep(0.5)


def harness_python() -> str:
    import sys

    return sys.executable


def test_a_sweep_whose_runtime_env_ray_cannot_set_up_is_one_line_and_no_runs(cluster, home):
    # Ray's pip runtime_env needs virtualenv on the node (not installed here); where
    # it is, the package does not exist: either way no node can set it up.
    result = cli(
        cluster, home, "train", "-m", *FAST, "estimator.C=0.01,1", "hydra/launcher=ray",
        "+hydra.launcher.ray.remote.runtime_env={pip:[harness-no-such-package-q7z]}",
        timeout=300,
    )  # fmt: skip
    assert result.returncode == 2, result.output
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("harness: error:")]
    prefix = (
        "harness: error: hydra/launcher=ray: Ray could not set up the jobs' runtime_env "
        "(hydra.launcher.ray.remote.runtime_env): "
    )
    assert line.startswith(prefix) and len(line) > len(prefix) + 10, line
    assert not (home / "runs").exists() or not list((home / "runs").glob("2*"))


def test_a_sweep_on_the_ray_launcher_is_one_sweep_with_every_run_linked(cluster, home):
    result = cli(
        cluster,
        home,
        "train",
        "-m",
        *FAST,
        "estimator.C=0.01,1,-1",
        "hydra/launcher=ray",
        "sweep.max_concurrent_runs=1",
    )
    assert result.returncode == 1, result.output  # C=-1 is refused by its job
    sweep_id = next(
        line.split(":", 1)[1].strip()
        for line in result.stdout.splitlines()
        if line.startswith("sweep id:")
    )
    shown = cli(cluster, home, "sweeps", "show", sweep_id, "--format", "json").json()
    assert shown["launcher"] == "ray"
    assert shown["applied"] == {"hydra.launcher.max_concurrent": 1}
    assert shown["counts"]["total"] == 3 and shown["counts"]["completed"] == 2
    assert shown["counts"]["failed"] == 1
    completed = [r for r in shown["runs"] if r["status"] == "Completed"]
    store = RunStore(home)
    records = [store.get(p.name) for p in (home / "runs").iterdir() if p.is_dir()]
    assert len(records) == 2  # C=-1 was refused before its run existed
    for record in records:
        assert record.sweep_id == sweep_id
        # Each job's driver ran in a Ray task on a node of the cluster.
        assert record.tags["ray.node_id"] in cluster.node_ids.values()
    # The cluster has room for two at once; max_concurrent_runs=1 kept them apart.
    spans = sorted((r.started, r.ended) for r in records)
    for (_, ended), (started, _) in zip(spans, spans[1:], strict=False):
        assert started >= ended, spans
    best = cli(cluster, home, "sweeps", "best", sweep_id, "--format", "json").json()
    assert best["value"] == max(r["value"] for r in completed)
    # Ray forwarded each job's own lines as printed: every run id (Ray's default
    # folds alike lines into "[repeated 2x across cluster]"), no colour codes.
    for record in records:
        assert f"run id: {record.id}" in result.output, result.output
    assert "repeated" not in result.output and "\\x1b" not in result.output, result.output


def test_a_ray_sweeps_jobs_get_the_harness_environment_and_the_users_env_vars(cluster, home):
    # The harness's variables travel with the jobs (not as a runtime_env): the job
    # processes load the plugin HARNESS_PLUGINS names and link to the sweep; the
    # user's own runtime_env reaches them as given.
    result = run_cli(
        "train",
        "-m",
        "+estimator=probe",
        "estimator.score=0.5,0.25",
        "hydra/launcher=ray",
        "+hydra.launcher.ray.remote.runtime_env={env_vars:{OMP_NUM_THREADS:'3'}}",
        home=home,
        env={**cluster.env, "HARNESS_PLUGINS": "harness.testing.probe"},
    )
    assert result.returncode == 0, result.output
    sweep_id = next(
        line.split(":", 1)[1].strip()
        for line in result.stdout.splitlines()
        if line.startswith("sweep id:")
    )
    runs = [p for p in (home / "runs").iterdir() if p.is_dir()]
    assert len(runs) == 2
    for run_dir in runs:
        assert RunStore(home).get(run_dir.name).sweep_id == sweep_id
        facts = json.loads((run_dir / "outputs" / "process.json").read_text())
        assert facts["omp_num_threads"] == "3", facts


def test_ctrl_c_on_a_ray_sweep_cancels_its_tasks_and_every_run(cluster, home):
    env = {**os.environ, **cluster.env, "HARNESS_HOME": str(home)}
    env.pop("HARNESS_JOB_SPEC", None)
    proc = subprocess.Popen(
        [
            harness_executable(),
            "train",
            "-m",
            *SLOW_SKLEARN_JOB,
            "+estimator.alpha=0.0001,0.001",
            "hydra/launcher=ray",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    sweep_id = proc.stdout.readline().split(":", 1)[1].strip()
    deadline = time.time() + 240
    while True:  # both jobs train, one on each node
        logs = list((home / "runs").glob("*/logs/stdout.txt")) if (home / "runs").exists() else []
        if len(logs) == 2 and all("training MLPClassifier" in p.read_text() for p in logs):
            break
        assert proc.poll() is None, proc.communicate()
        assert time.time() < deadline, "the sweep's jobs never started on the cluster"
        time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, out + err
    store = RunStore(home)
    records = [store.get(p.name) for p in (home / "runs").iterdir() if p.is_dir()]
    assert len(records) == 2 and {r.status for r in records} == {"Canceled"}
    assert {r.tags["ray.node_id"] for r in records} == set(cluster.node_ids.values())
    for record in records:
        found = subprocess.run(
            ["pgrep", "-f", f"harness.worker {home / 'runs' / record.id}"],
            capture_output=True,
            text=True,
        )
        assert found.stdout.strip() == "", "a job outlived the canceled sweep"
    shown = cli(cluster, home, "sweeps", "show", sweep_id, "--format", "json").json()
    # Ctrl-C ends the sweep Canceled, as its runs (the rule for every launcher)
    assert shown["counts"]["canceled"] == 2 and shown["status"] == "Canceled"


class TestRayComputeContract(ComputeContract):
    """compute=ray passes the contract every compute passes, on the cluster."""

    name = "ray"
    invalid_overrides = ("compute.timeout=-5", "compute.num_gpus=64")

    @pytest.fixture(autouse=True)
    def _on_the_cluster(self, cluster, monkeypatch):
        self.env = dict(cluster.env)
        monkeypatch.setenv("RAY_ADDRESS", cluster.address)  # launch() in this process


def test_a_policy_stops_the_worse_job_of_a_ray_sweep(cluster, home, tmp_path):
    from test_sweeps_cli import RAMP_SCRIPT  # the same fixed score curves as locally

    source = tmp_path / "src"
    source.mkdir()
    (source / "ramp.py").write_text(RAMP_SCRIPT)
    result = cli(
        cluster, home, "train", "-m", "+estimator=script",
        f"estimator.source_directory={source}", "estimator.entry_script=ramp.py",
        "estimator.primary_metric=score", "+estimator.script_params.quality=1.0,0.2",
        "+estimator.script_params.steps=20", "sweep.policy=truncation",
        "sweep.policy.truncation_percentage=50", "sweep.policy.delay_evaluation=2",
        "hydra/launcher=ray",
        # a base value in the script's arguments, which each sampled value replaces
        "estimator.arguments=[--quality,0.5]",
    )  # fmt: skip
    assert result.returncode == 0, result.output  # an early stop is not a failure
    sweep_id = next(
        line.split(":", 1)[1].strip()
        for line in result.stdout.splitlines()
        if line.startswith("sweep id:")
    )
    shown = cli(cluster, home, "sweeps", "show", sweep_id, "--format", "json").json()
    rows = {
        next(o for o in r["overrides"] if "quality" in o).split("=")[1]: r for r in shown["runs"]
    }
    assert rows["1.0"]["status"] == "Completed" and rows["1.0"]["best"]
    assert rows["0.2"]["status"] == "Canceled" and rows["0.2"]["early_terminated"]
    assert rows["0.2"]["error"].startswith("early-terminated by truncation policy")
    # what each job's script parsed: its first score is quality × 1
    for quality, row in rows.items():
        shown_run = cli(cluster, home, "runs", "show", row["run_id"], "--format", "json").json()
        assert shown_run["history"]["score"][0]["value"] == float(quality), quality
