"""compute=mpi through the real CLI: ranks, rank logs, run.comm, faults, Ctrl-C, timeout.

A tiny third-party plugin (estimator `probe`) is installed for these tests the way
any plugin is found: a package plus a ``*.dist-info`` with its entry point on
PYTHONPATH. It lets one rank raise, kill itself or sleep, independent of the
framework estimators. 2 ranks at most, seconds of work each.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.testing import harness_executable, run_cli
from harness.testing.plugin_site import write_plugin_site
from harness.testing.requirements import unavailable

PROBE = '''
import os, signal, socket, sys, time
from harness import Estimator, hookimpl


class ProbeEstimator(Estimator):
    """Reports its MPI context; fails, dies or sleeps on request."""

    def train(self, run):
        est = run.params.estimator
        comm = run.comm
        total = comm.allreduce(run.rank + 1) if comm is not None else None
        print(f"probe rank={run.rank} world={run.world_size} local={run.local_rank} "
              f"pid={os.getpid()} allreduce={total} comm={type(comm).__name__} "
              f"btl={os.environ.get('OMPI_MCA_btl')} host={socket.gethostname()}", flush=True)
        run.log("rank_seen", run.rank)
        run.log("allreduce", total)
        if run.rank == est.fail_rank:
            if est.mode == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            raise ValueError(f"probe failure on rank {run.rank}")
        time.sleep(float(est.sleep))
        if comm is not None:
            comm.Barrier()


@hookimpl
def harness_register_estimators(register):
    register("probe", ProbeEstimator)


@hookimpl
def harness_config_searchpath():
    return ["pkg://harness_mpi_probe.conf"]
'''

PROBE_YAML = """\
# @package _global_
estimator:
  name: probe
  fail_rank: -1
  mode: raise
  sleep: 0
"""


def find_mpiexec() -> str:
    from harness.plugins.mpi.launcher import find_mpiexec as find

    return find()


@pytest.fixture(scope="module")
def mpi_env(tmp_path_factory) -> dict[str, str]:
    """PYTHONPATH with the probe plugin; PATH with mpiexec's folder (CI: beside python)."""
    try:
        mpiexec = find_mpiexec()
    except Exception as exc:  # the [mpi] extra is part of the documented set-up
        unavailable("mpi", f"these tests need mpiexec: {exc}")
    site = write_plugin_site(
        tmp_path_factory.mktemp("probe-site"),
        "harness_mpi_probe",
        PROBE,
        {"estimator/probe.yaml": PROBE_YAML},
        name="probe",
    )
    return {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")])),
        "PATH": os.pathsep.join([str(Path(mpiexec).parent), os.environ.get("PATH", "")]),
    }


def show(run_id, home):
    result = run_cli("runs", "show", run_id, "--format", "json", home=home)
    assert result.returncode == 0, result.output
    return result.json()


def logs(home, run_id) -> dict[str, str]:
    folder = home / "runs" / run_id / "logs"
    return {p.name: p.read_text() for p in folder.iterdir()}


def test_two_ranks_get_rank_world_size_and_the_communicator(home, mpi_env):
    result = run_cli(
        "train", "+estimator=probe", "compute=mpi", "compute.process_count_per_node=2",
        home=home, env=mpi_env,
    )  # fmt: skip
    assert result.returncode == 0, result.output
    data = show(result.run_id, home)
    assert data["status"] == "Completed" and data["world_size"] == 2
    rank_logs = logs(home, result.run_id)
    assert "probe rank=0 world=2 local=0" in rank_logs["rank_0.txt"]
    assert "probe rank=1 world=2 local=1" in rank_logs["rank_1.txt"]
    # run.comm is mpi4py's COMM_WORLD on every rank: 1 + 2 summed over both ranks.
    assert "allreduce=3 comm=Intracomm" in rank_logs["rank_1.txt"]
    # A single-node job skips Open MPI's libfabric probe, unless the user chose BTLs.
    assert f"btl={os.environ.get('OMPI_MCA_btl', '^ofi')}" in rank_logs["rank_0.txt"]  # noqa: SIM112 - Open MPI's own spelling
    # Metrics come from rank 0 only; rank 0 is streamed to the terminal, rank 1 is not.
    assert data["metrics"]["rank_seen"] == 0 and data["metrics"]["allreduce"] == 3
    metric_files = os.listdir(home / "runs" / result.run_id / "metrics")
    assert metric_files and all(name.startswith("rank0-") for name in metric_files)
    assert "probe rank=0" in result.stdout and "probe rank=1" not in result.stdout


def test_sklearn_trains_on_rank_0_only_with_a_warning(home, mpi_env):
    result = run_cli(
        "train", "compute=mpi", "compute.process_count_per_node=2", home=home, env=mpi_env
    )
    assert result.returncode == 0, result.output
    assert "no data-parallel training" in result.stderr and "hydra/launcher=joblib" in result.stderr
    data = show(result.run_id, home)
    assert data["world_size"] == 2 and data["metrics"]["accuracy"] >= 0.9
    rank_logs = logs(home, result.run_id)
    assert "training LogisticRegression" in rank_logs["rank_0.txt"]
    assert "trains on rank 0 only" in rank_logs["rank_1.txt"]
    job = json.loads((home / "runs" / result.run_id / "job.json").read_text())
    assert job["compute"] == "mpi" and job["params"]["compute"]["process_count_per_node"] == 2


def test_a_hostfile_places_the_ranks(home, mpi_env, tmp_path):
    hostfile = tmp_path / "hosts"
    hostfile.write_text("localhost slots=2\n")
    result = run_cli(
        "train", "+estimator=probe", "compute=mpi", "compute.process_count_per_node=2",
        f"compute.hostfile={hostfile}", home=home, env=mpi_env,
    )  # fmt: skip
    assert result.returncode == 0, result.output
    assert show(result.run_id, home)["world_size"] == 2
    assert "allreduce=3" in logs(home, result.run_id)["rank_1.txt"]


@pytest.mark.parametrize(
    ("mode", "needles"),
    [
        ("raise", ["rank 1 failed: ValueError: probe failure on rank 1", "logs/rank_1.txt"]),
        ("kill", ["rank 1 was killed by signal 9"]),
    ],
)
def test_one_failing_rank_ends_the_job_within_seconds(home, mpi_env, mode, needles):
    started = time.monotonic()
    result = run_cli(
        "train", "+estimator=probe", "compute=mpi", "compute.process_count_per_node=2",
        "estimator.fail_rank=1", f"estimator.mode={mode}", "estimator.sleep=120",
        home=home, env=mpi_env, timeout=90,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    assert result.returncode == 1, result.output
    assert elapsed < 30, f"rank 0 kept the job alive for {elapsed:.0f} s"
    data = show(result.run_id, home)
    assert data["status"] == "Failed"
    for needle in needles:
        assert needle in data["error"], data["error"]
    rank_logs = logs(home, result.run_id)
    assert {"rank_0.txt", "rank_1.txt", "mpiexec.txt"} <= set(rank_logs)
    if mode == "raise":
        assert "Traceback (most recent call last)" in rank_logs["rank_1.txt"]


def test_compute_timeout_stops_every_rank(home, mpi_env):
    result = run_cli(
        "train", "+estimator=probe", "compute=mpi", "compute.process_count_per_node=2",
        "estimator.sleep=120", "compute.timeout=3", home=home, env=mpi_env, timeout=90,
    )  # fmt: skip
    assert result.returncode == 1, result.output
    data = show(result.run_id, home)
    assert data["status"] == "Failed" and "compute.timeout" in data["error"]
    assert _rank_pids_alive(logs(home, result.run_id)) == []


def test_ctrl_c_stops_every_rank_and_cancels(home, mpi_env):
    env = {**os.environ, "HARNESS_HOME": str(home), **mpi_env}
    proc = subprocess.Popen(
        [harness_executable(), "train", "+estimator=probe", "compute=mpi",
         "compute.process_count_per_node=2", "estimator.sleep=120"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    runs = home / "runs"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        rank_logs = [p for p in runs.glob("*/logs/rank_*.txt") if "probe rank=" in p.read_text()]
        if len(rank_logs) == 2:
            break
        time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("the ranks never started:\n" + proc.communicate()[1])
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, out + err
    (run_dir,) = runs.iterdir()
    assert show(run_dir.name, home)["status"] == "Canceled"
    assert _rank_pids_alive(logs(home, run_dir.name)) == []


def _rank_pids_alive(rank_logs: dict[str, str]) -> list[int]:
    pids = [
        int(word.split("=")[1])
        for text in rank_logs.values()
        for word in text.split()
        if word.startswith("pid=")
    ]
    assert pids, rank_logs
    return [pid for pid in pids if _running(pid)]


def _running(pid: int) -> bool:
    """Alive and not a zombie (a dead rank waits for init to reap it)."""
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():
        try:
            return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except (OSError, IndexError):
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_missing_mpiexec_is_one_clear_error(home, tmp_path):
    """A Python with no mpiexec beside it and none on PATH, as on a machine without [mpi]."""
    real = Path(sys.prefix)
    fake = tmp_path / "venv"
    (fake / "bin").mkdir(parents=True)
    (fake / "bin" / "python").symlink_to(Path(sys.executable).resolve())
    (fake / "pyvenv.cfg").write_text((real / "pyvenv.cfg").read_text())
    (fake / "lib").symlink_to(real / "lib")
    path = os.pathsep.join(
        p for p in os.environ.get("PATH", "").split(os.pathsep) if p and not _has_mpiexec(p)
    )
    env = {**os.environ, "HARNESS_HOME": str(home), "PATH": path}
    env.pop("HARNESS_JOB_SPEC", None)
    proc = subprocess.run(
        [str(fake / "bin" / "python"), "-m", "harness", "train", "compute=mpi"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "needs mpiexec" in proc.stderr and "pip install 'harness-ml[mpi]'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (home / "runs").exists() or not list((home / "runs").iterdir())


def _has_mpiexec(folder: str) -> bool:
    return (Path(folder) / "mpiexec").exists()


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        (["compute.node_count=2"], "needs the machines to run on"),
        (["compute.process_count_per_node=0"], "compute.process_count_per_node"),
        (["compute.mpiexec=/no/such/mpiexec"], "compute.mpiexec"),
    ],
)
def test_bad_compute_config_is_exit_2_and_writes_nothing(home, mpi_env, overrides, needle):
    result = run_cli("train", "compute=mpi", *overrides, home=home, env=mpi_env)
    assert result.returncode == 2, result.output
    assert needle in result.stderr and "Traceback" not in result.stderr
    assert not (home / "runs").exists() or not list((home / "runs").iterdir())


PMIX_LISTENER_FAILURE = """\
--------------------------------------------------------------------------
The PMIx server's listener thread failed to start. We cannot
continue.
--------------------------------------------------------------------------
"""


def _flaky_mpiexec(tmp_path: Path, failures: int) -> Path:
    """A launcher that fails its first ``failures`` starts as Open MPI's does when
    its PMIx listener cannot start (before any rank exists), then is mpiexec."""
    (tmp_path / "pmix-failure.txt").write_text(PMIX_LISTENER_FAILURE)
    wrapper = tmp_path / "mpiexec"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'[ "$1" = "--version" ] && exec "{find_mpiexec()}" "$@"\n'
        f'count=$(cat "{tmp_path}/starts" 2>/dev/null || echo 0)\n'
        f'echo $((count + 1)) > "{tmp_path}/starts"\n'
        f'if [ "$count" -lt {failures} ]; then cat "{tmp_path}/pmix-failure.txt" >&2; exit 213; fi\n'
        f'exec "{find_mpiexec()}" "$@"\n'
    )
    wrapper.chmod(0o755)
    return wrapper


def _train_under_flaky_mpiexec(home, mpi_env, tmp_path: Path, failures: int):
    wrapper = _flaky_mpiexec(tmp_path, failures)
    return run_cli(
        "train", "+estimator=probe", "compute=mpi", "compute.process_count_per_node=2",
        f"compute.mpiexec={wrapper}", home=home, env=mpi_env,
    )  # fmt: skip


def test_a_launcher_that_fails_before_any_rank_starts_is_started_once_more(home, mpi_env, tmp_path):
    result = _train_under_flaky_mpiexec(home, mpi_env, tmp_path, failures=1)
    assert result.returncode == 0, result.output
    assert "mpiexec failed before any rank started" in result.stderr
    assert (tmp_path / "starts").read_text().strip() == "2"
    data = show(result.run_id, home)
    assert data["status"] == "Completed" and data["metrics"]["allreduce"] == 3
    kept = logs(home, result.run_id)
    assert "listener thread failed to start" in kept["mpiexec.1.txt"]
    assert "listener thread" not in kept["mpiexec.txt"]


def test_a_launcher_that_keeps_failing_is_started_twice_and_named(home, mpi_env, tmp_path):
    result = _train_under_flaky_mpiexec(home, mpi_env, tmp_path, failures=5)
    assert result.returncode == 1, result.output
    assert (tmp_path / "starts").read_text().strip() == "2"
    data = show(result.run_id, home)
    assert data["status"] == "Failed"
    assert (
        "mpiexec exited with code 213: The PMIx server's listener thread failed to start"
        in (data["error"])
    ), data["error"]
