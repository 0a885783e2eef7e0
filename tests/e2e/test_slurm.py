"""compute=slurm and Slurm sweeps against a real one-node Slurm cluster.

The module's fixture starts munged, slurmctld and slurmd (Debian's slurm-wlm and
munge, as root) with a minimal slurm.conf in a temporary folder: one node with two
CPUs' worth of slots, partition ``debug``. If the cluster cannot start here the
tests skip with the reason; nothing they assert is loosened. Every job is a few
seconds of the ``probe`` estimator from test_mpi_compute (ranks, allreduce, faults).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from test_mpi_compute import PROBE, PROBE_YAML

from harness.testing import harness_executable, run_cli
from harness.testing.plugin_site import write_plugin_site
from harness.testing.requirements import unavailable
from harness.testing.slurm_cluster import (
    PARTITION,
    PREEMPTING_PARTITION,
    ClusterUnavailable,
    SlurmCluster,
)

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    # SlurmCluster.start says why it cannot start (not installed, not root, ...).
    try:
        started = SlurmCluster.start(tmp_path_factory.mktemp("slurm"))
    except (ClusterUnavailable, OSError) as exc:
        unavailable("cluster", f"the Slurm cluster could not start here: {exc}")
    yield started
    started.stop()


@pytest.fixture(scope="module")
def slurm_env(cluster, tmp_path_factory) -> dict[str, str]:
    site = write_plugin_site(
        tmp_path_factory.mktemp("probe-site"),
        "harness_mpi_probe",
        PROBE,
        {"estimator/probe.yaml": PROBE_YAML},
        name="probe",
    )
    return {
        "SLURM_CONF": str(cluster.conf),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")])),
    }


def show(run_id, home, env):
    result = run_cli("runs", "show", run_id, "--format", "json", home=home, env=env)
    assert result.returncode == 0, result.output
    return result.json()


def scontrol_state(job_id: str, env: dict[str, str]) -> str:
    out = subprocess.run(
        ["scontrol", "show", "job", "-o", job_id],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    ).stdout
    for item in out.split():
        if item.startswith("JobState="):
            return item.split("=", 1)[1]
    return ""


def slurm_job_id(output: str) -> str:
    for line in output.splitlines():
        if line.startswith("slurm job:"):
            return line.split(":", 1)[1].split()[0]
    raise AssertionError(f"no 'slurm job:' line\n{output}")


def lines_until(proc: subprocess.Popen, text: str) -> list[str]:
    """The process's output lines up to and including the first that contains text."""
    seen = []
    assert proc.stdout is not None
    for line in proc.stdout:
        seen.append(line)
        if text in line:
            break
    return seen


# -- compute=slurm -------------------------------------------------------------


def test_two_ranks_under_srun_get_rank_and_communicator(home, slurm_env):
    result = run_cli(
        "train", "+estimator=probe", "compute=slurm", "compute.process_count_per_node=2",
        f"compute.partition={PARTITION}", "compute.time=5", home=home, env=slurm_env,
        timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.output
    job_id = slurm_job_id(result.stdout)
    assert scontrol_state(job_id, slurm_env) == "COMPLETED"
    data = show(result.run_id, home, slurm_env)
    assert data["status"] == "Completed"
    assert data["world_size"] == 2
    assert data["extra"]["slurm_job_id"] == job_id
    assert data["metrics"]["allreduce"] == 3  # 1 + 2: both ranks in one COMM_WORLD
    logs = home / "runs" / result.run_id / "logs"
    assert "probe rank=0 world=2 local=0" in (logs / "rank_0.txt").read_text()
    assert "probe rank=1 world=2 local=1" in (logs / "rank_1.txt").read_text()
    assert "comm=Intracomm" in (logs / "rank_1.txt").read_text()
    # rank 0's output is shown live by the driver
    assert "probe rank=0 world=2" in result.stdout
    script = next((logs / "slurm").glob("*_submission.sh")).read_text()
    assert "--ntasks-per-node=2" in script and "--mpi=pmix" in script
    assert "--time=5" in script and f"--partition={PARTITION}" in script


def test_a_single_rank_job_ends_when_its_worker_does_not_at_the_next_poll(home, slurm_env):
    """The driver learns of a finished single-rank job from its exit mark on the
    shared file system: with Slurm asked only every 600 s, the command still ends
    (a driver that waited for its next look at Slurm would outlive the timeout)."""
    result = run_cli(
        "train", "+estimator=probe", "compute=slurm", "compute.poll_interval=600",
        home=home, env=slurm_env, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.output
    data = show(result.run_id, home, slurm_env)
    assert data["status"] == "Completed" and data["world_size"] == 1
    mark = home / "runs" / result.run_id / "logs" / "slurm_exit.json"
    assert json.loads(mark.read_text()) == {"exit_code": 0}


def test_a_failing_rank_fails_the_run_with_its_exception(home, slurm_env):
    result = run_cli(
        "train", "+estimator=probe", "compute=slurm", "compute.process_count_per_node=2",
        "estimator.fail_rank=1", "estimator.sleep=120", home=home, env=slurm_env, timeout=300,
    )  # fmt: skip
    assert result.returncode == 1, result.output
    data = show(result.run_id, home, slurm_env)
    assert data["status"] == "Failed"
    assert data["error"].startswith("rank 1 failed: ValueError: probe failure on rank 1")
    # rank 0 was sleeping 120 s: srun's --kill-on-bad-exit stopped it with the job
    assert scontrol_state(slurm_job_id(result.stdout), slurm_env) == "FAILED"


def test_ctrl_c_cancels_the_slurm_job_and_the_run(home, slurm_env):
    env = {**os.environ, "HARNESS_HOME": str(home), **slurm_env}
    proc = subprocess.Popen(
        [harness_executable(), "train", "+estimator=probe", "compute=slurm",
         "estimator.sleep=300"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    seen = []
    assert proc.stdout is not None
    for line in proc.stdout:
        seen.append(line)
        if "probe rank=0" in line:
            proc.send_signal(signal.SIGINT)
            break
    rest, _ = proc.communicate(timeout=120)
    output = "".join(seen) + rest
    assert proc.returncode == 130, output
    job_id = slurm_job_id(output)
    assert scontrol_state(job_id, slurm_env) == "CANCELLED"
    run_id = next(ln.split(":", 1)[1].strip() for ln in output.splitlines() if "run id:" in ln)
    data = show(run_id, home, slurm_env)
    assert data["status"] == "Canceled"
    assert "scancel" in data["error"]


def test_harness_runs_cancel_cancels_the_slurm_job(home, slurm_env):
    env = {**os.environ, "HARNESS_HOME": str(home), **slurm_env}
    proc = subprocess.Popen(
        [harness_executable(), "train", "+estimator=probe", "compute=slurm",
         "estimator.sleep=300"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    seen = lines_until(proc, "probe rank=0")
    run_id = next(ln.split(":", 1)[1].strip() for ln in seen if ln.startswith("run id:"))
    cancel = run_cli("runs", "cancel", run_id, home=home, env=slurm_env, timeout=180)
    assert cancel.returncode == 0, cancel.output
    rest, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, "".join(seen) + rest
    data = show(run_id, home, slurm_env)
    assert data["status"] == "Canceled" and "scancel" in data["error"]
    assert scontrol_state(data["extra"]["slurm_job_id"], slurm_env) == "CANCELLED"


def test_scheduler_rejections_are_one_line_with_slurms_reason(home, slurm_env):
    cases = [
        ("compute.partition=no_such_partition", "invalid partition"),
        ("compute.process_count_per_node=64", "Requested node configuration is not available"),
        ("compute.gpus_per_node=4", "gres"),
    ]
    for override, reason in cases:
        result = run_cli("train", "compute=slurm", override, home=home, env=slurm_env)
        assert result.returncode == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("harness: error: Slurm rejected"), lines
        assert reason.lower() in lines[0].lower(), lines
    assert not (home / "runs").exists() or not any((home / "runs").iterdir())


def test_a_node_that_does_not_see_the_workspace_is_one_line(tmp_path_factory, slurm_env):
    """A second cluster whose node has an empty tmpfs over the workspace's folder."""
    hidden = tmp_path_factory.mktemp("not-shared")
    try:
        private = SlurmCluster.start(tmp_path_factory.mktemp("slurm-private"),
                                     hidden_from_node=[hidden])  # fmt: skip
    except (ClusterUnavailable, OSError) as exc:
        unavailable("cluster", f"a node with a private mount namespace could not start: {exc}")
    try:
        home = hidden / "home"
        env = {**slurm_env, "SLURM_CONF": str(private.conf)}
        result = run_cli("train", "+estimator=probe", "compute=slurm", home=home, env=env,
                         timeout=300)  # fmt: skip
    finally:
        private.stop()
    assert result.returncode == 1, result.output
    data = show(result.run_id, home, env)
    assert data["status"] == "Failed"
    assert "never reached the workspace" in data["error"], data["error"]
    assert str(home) in data["error"] and "shared file system" in data["error"]


@pytest.mark.slow
def test_a_job_stopped_at_its_time_limit_ends_failed_with_the_reason(home, slurm_env):
    result = run_cli(
        "train", "+estimator=probe", "compute=slurm", "compute.time=1", "estimator.sleep=600",
        home=home, env=slurm_env, timeout=400,
    )  # fmt: skip
    assert result.returncode == 1, result.output
    data = show(result.run_id, home, slurm_env)
    assert data["status"] == "Failed"
    assert "time limit" in data["error"] and "TIMEOUT" in data["error"]


def preempt_the_node(env: dict[str, str]) -> str:
    """Submit a plain job that needs the whole node to the partition with the higher
    PriorityTier: Slurm preempts the harness job(s) running in ``debug`` to make room.
    The cluster's PreemptMode is REQUEUE, so a job that may be requeued would be put
    back in the queue to start over; the harness submits with --no-requeue."""
    return subprocess.run(
        ["sbatch", "--parsable", f"--partition={PREEMPTING_PARTITION}", "--exclusive",
         "--ntasks=2", "--output=/dev/null", "--wrap", "sleep 1"],
        env={**os.environ, **env}, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip


@contextlib.contextmanager
def harness_process(args: list[str], env: dict[str, str]):
    """``harness ARGS`` in the background, killed if the test fails before it ends."""
    proc = subprocess.Popen(
        [harness_executable(), *args],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def wait_final(job_id: str, env: dict[str, str], timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    while (state := scontrol_state(job_id, env)) not in ("COMPLETED", "FAILED", "CANCELLED"):
        if time.monotonic() > deadline:
            raise AssertionError(f"slurm job {job_id} still {state} after {timeout:g} s")
        time.sleep(0.5)
    return state


def test_a_job_preempted_by_a_higher_priority_partition_ends_canceled_with_the_reason(
    home, slurm_env
):
    env = {**os.environ, "HARNESS_HOME": str(home), **slurm_env}
    args = ["train", "+estimator=probe", "compute=slurm", "estimator.sleep=300"]
    with harness_process(args, env) as proc:
        seen = lines_until(proc, "probe rank=0")
        urgent = preempt_the_node(env)
        rest, _ = proc.communicate(timeout=180)
    output = "".join(seen) + rest
    assert proc.returncode == 130, output
    job_id = slurm_job_id(output)
    assert scontrol_state(job_id, slurm_env) == "PREEMPTED"
    run_id = next(ln.split(":", 1)[1].strip() for ln in seen if ln.startswith("run id:"))
    data = show(run_id, home, slurm_env)
    assert data["status"] == "Canceled", data
    assert data["error"] == f"Slurm preempted the job (slurm job {job_id}, PREEMPTED)", data
    assert data["error"] in output  # the driver says why, not just "canceled"
    assert wait_final(urgent, slurm_env) == "COMPLETED"  # the node is free for the next test
    script = next((home / "runs" / run_id / "logs" / "slurm").glob("*_submission.sh"))
    assert "#SBATCH --no-requeue" in script.read_text()


# -- sweeps with hydra/launcher=submitit_slurm ---------------------------------


def test_a_four_job_sweep_runs_every_job_on_the_cluster(home, slurm_env):
    result = run_cli(
        "train", "-m", "+estimator=probe", "estimator.sleep=0,1", "estimator.fail_rank=-1,0",
        "hydra/launcher=submitit_slurm", f"hydra.launcher.partition={PARTITION}",
        "sweep.metric=rank_seen", "sweep.goal=minimize", "sweep.max_concurrent_runs=2",
        home=home, env=slurm_env, timeout=600,
    )  # fmt: skip
    # two jobs fail on purpose: the sweep goes on and exits 1, like a local sweep
    assert result.returncode == 1, result.output
    assert "hydra.launcher.array_parallelism=2" in result.stdout
    sweep_id = next(
        ln.split(":", 1)[1].strip() for ln in result.stdout.splitlines() if "sweep id:" in ln
    )
    summary = json.loads((home / "sweeps" / sweep_id / "summary.json").read_text())
    assert summary["counts"]["completed"] == 2 and summary["counts"]["failed"] == 2, summary
    runs = {}
    for link in (home / "sweeps" / sweep_id / "runs").glob("*.json"):
        run = show(json.loads(link.read_text())["run_id"], home, slurm_env)
        runs[run["id"]] = run
        assert run["sweep_id"] == sweep_id
        assert "_" in run["extra"]["slurm_job_id"]  # an array task: ARRAYID_TASK
        assert run["status"] == ("Failed" if "estimator.fail_rank=0" in run["overrides"]
                                 else "Completed")  # fmt: skip
    assert len(runs) == 4
    best = run_cli("sweeps", "best", sweep_id, "--format", "json", home=home, env=slurm_env)
    assert best.returncode == 0, best.output
    assert best.json()["run_id"] in runs and best.json()["value"] == 0


def scontrol_times(job_id: str, env: dict[str, str]) -> tuple[str, str]:
    """The job's StartTime and EndTime (ISO, to the second, so they sort as text)."""
    out = subprocess.run(
        ["scontrol", "show", "job", "-o", job_id],
        env={**os.environ, **env}, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    fields = dict(item.split("=", 1) for item in out.split() if "=" in item)
    return fields["StartTime"], fields["EndTime"]


def test_a_policy_stops_the_worse_job_of_a_slurm_sweep_run_one_at_a_time(home, slurm_env, tmp_path):
    from test_sweeps_cli import RAMP_SCRIPT  # the same fixed score curves as locally

    source = tmp_path / "src"
    source.mkdir()
    (source / "ramp.py").write_text(RAMP_SCRIPT)
    result = run_cli(
        "train", "-m", "+estimator=script", f"estimator.source_directory={source}",
        "estimator.entry_script=ramp.py", "estimator.primary_metric=score",
        "+estimator.script_params.quality=1.0,0.2", "+estimator.script_params.steps=20",
        "sweep.policy=truncation", "sweep.policy.truncation_percentage=50",
        "sweep.policy.delay_evaluation=2", "hydra/launcher=submitit_slurm",
        "sweep.max_concurrent_runs=1",
        # a base value in the script's arguments, which each sampled value replaces
        "estimator.arguments=[--quality,0.5]",
        home=home, env=slurm_env, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.output  # an early stop is not a failure
    sweep_id = next(
        ln.split(":", 1)[1].strip() for ln in result.stdout.splitlines() if "sweep id:" in ln
    )
    shown = run_cli("sweeps", "show", sweep_id, "--format", "json", home=home, env=slurm_env)
    assert shown.returncode == 0, shown.output
    rows = {
        next(o for o in r["overrides"] if "quality" in o).split("=")[1]: r
        for r in shown.json()["runs"]
    }
    assert rows["1.0"]["status"] == "Completed" and rows["1.0"]["best"], rows
    # the worse job (it would report 100 times) was stopped on its node by the
    # policy, comparing with the finished job's metrics in the shared workspace
    assert rows["0.2"]["status"] == "Canceled" and rows["0.2"]["early_terminated"], rows
    assert rows["0.2"]["error"].startswith("early-terminated by truncation policy"), rows
    worse = show(rows["0.2"]["run_id"], home, slurm_env)
    assert len(worse["history"]["score"]) < 100
    # what each job's script parsed: its first score is quality × 1
    better = show(rows["1.0"]["run_id"], home, slurm_env)
    assert worse["history"]["score"][0]["value"] == 0.2
    assert better["history"]["score"][0]["value"] == 1.0
    # sweep.max_concurrent_runs=1 → Slurm ran the array's tasks one after the other
    # (the node has room for both at once)
    array_id = re.search(r"^slurm jobs: 2 in array (\d+)", result.stdout, re.MULTILINE).group(1)
    first_start, first_end = scontrol_times(f"{array_id}_0", slurm_env)
    second_start, _ = scontrol_times(f"{array_id}_1", slurm_env)
    assert first_start < second_start and first_end <= second_start


def test_ctrl_c_cancels_the_sweeps_cluster_jobs_and_runs(home, slurm_env):
    env = {**os.environ, "HARNESS_HOME": str(home), **slurm_env}
    proc = subprocess.Popen(
        [harness_executable(), "train", "-m", "+estimator=probe", "estimator.sleep=300",
         "estimator.fail_rank=-1,-2,-3", "hydra/launcher=submitit_slurm",
         "sweep.max_concurrent_runs=2"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    runs = home / "runs"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        started = [p for p in runs.glob("*/logs/stdout.txt") if "probe rank=0" in p.read_text()]
        if len(started) == 2:
            break
        time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("two sweep jobs never started:\n" + proc.communicate()[0])
    proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=180)
    assert proc.returncode == 130, output
    array_id = re.search(r"^slurm jobs: 3 in array (\d+)", output, re.MULTILINE).group(1)
    for task in range(3):
        assert scontrol_state(f"{array_id}_{task}", slurm_env) == "CANCELLED"
    statuses = [json.loads(p.read_text())["status"] for p in runs.glob("*/run.json")]
    assert statuses == ["Canceled", "Canceled"], output
    sweep = next((home / "sweeps").iterdir())
    unstarted = [json.loads(p.read_text()) for p in (sweep / "unstarted").glob("*.json")]
    assert [u["status"] for u in unstarted] == ["Canceled"]  # the third never started
    # Ctrl-C ends the sweep Canceled, as its runs (the rule for every launcher)
    assert json.loads((sweep / "sweep.json").read_text())["status"] == "Canceled"


def test_a_sweep_job_cancelled_on_the_cluster_is_settled_and_the_sweep_goes_on(home, slurm_env):
    env = {**os.environ, "HARNESS_HOME": str(home), **slurm_env}
    proc = subprocess.Popen(
        [harness_executable(), "train", "-m", "+estimator=probe", "estimator.sleep=300,0",
         "hydra/launcher=submitit_slurm", "sweep.max_concurrent_runs=1"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 180
    record = None
    while time.monotonic() < deadline and record is None:
        for path in (home / "runs").glob("*/run.json"):
            data = json.loads(path.read_text())
            if data["status"] == "Running" and data.get("extra", {}).get("slurm_job_id"):
                record = data
        time.sleep(0.5)
    if record is None:
        proc.kill()
        pytest.fail("the first sweep job never ran:\n" + proc.communicate()[0])
    # Somebody (an admin, the scheduler) kills the job's processes outright.
    subprocess.run(
        ["scancel", "--signal=KILL", "--full", record["extra"]["slurm_job_id"]],
        env=env,
        check=True,
    )
    output, _ = proc.communicate(timeout=240)
    first = show(record["id"], home, slurm_env)
    # Slurm's reason, not just "canceled": the node's driver saw only a signal.
    assert first["status"] == "Canceled", first
    assert "cancelled on the cluster (scancel)" in first["error"], first
    # a job cancelled on the cluster is not the user's Ctrl-C: the next job still ran
    statuses = sorted(
        json.loads(p.read_text())["status"] for p in (home / "runs").glob("*/run.json")
    )
    assert statuses == ["Canceled", "Completed"], output
    assert proc.returncode == 0, output  # nothing failed


def test_a_preempted_sweep_job_is_settled_with_the_reason_and_the_sweep_goes_on(home, slurm_env):
    env = {**os.environ, "HARNESS_HOME": str(home), **slurm_env}
    args = ["train", "-m", "+estimator=probe", "estimator.sleep=300,0",
            "hydra/launcher=submitit_slurm", "sweep.max_concurrent_runs=1"]  # fmt: skip
    with harness_process(args, env) as proc:
        deadline = time.monotonic() + 180
        record = None
        while time.monotonic() < deadline and record is None:
            for path in (home / "runs").glob("*/logs/stdout.txt"):
                if "probe rank=0" in path.read_text():
                    record = json.loads((path.parent.parent / "run.json").read_text())
            time.sleep(0.5)
        assert record is not None, "the first sweep job never ran"
        urgent = preempt_the_node(slurm_env)
        output, _ = proc.communicate(timeout=240)
    job_id = record["extra"]["slurm_job_id"]
    assert scontrol_state(job_id, slurm_env) == "PREEMPTED"  # not requeued to start over
    first = show(record["id"], home, slurm_env)
    assert first["status"] == "Canceled", first
    assert first["error"] == f"Slurm preempted the job (slurm job {job_id}, PREEMPTED)", first
    # one run per job (a requeued task would have made a second run for job #0),
    # none left Running; the next job ran once the urgent job was done
    statuses = sorted(
        json.loads(p.read_text())["status"] for p in (home / "runs").glob("*/run.json")
    )
    assert statuses == ["Canceled", "Completed"], output
    assert proc.returncode == 0, output  # a preempted job is not a failed one
    assert wait_final(urgent, slurm_env) == "COMPLETED"


def test_cluster_runs_leave_nothing_running(home, slurm_env, cluster):
    """After the tests above (module order), the cluster has no job left."""
    out = subprocess.run(
        ["squeue", "-h"], env={**os.environ, **slurm_env}, capture_output=True, text=True
    )
    assert out.returncode == 0 and out.stdout.strip() == "", out.stdout
    assert Path(cluster.conf).is_file()
