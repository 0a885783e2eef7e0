"""Invariant 4/6 for MPI: a rank killed by a signal, or one that raises, ends the run
`Failed` with a message naming the rank (and the signal), both ranks' logs kept,
exit 1. The naming comes from the ranks' own exit records first, so it holds
whatever the MPI launcher prints (checked against several launchers' wordings)."""

from __future__ import annotations

import pytest

from harness.plugins.mpi.diagnose import failure_message
from harness.testing import run_cli

SCRIPT = """
import os, signal, sys, time
from mpi4py import MPI
rank = MPI.COMM_WORLD.Get_rank()
print(f"rank {rank} up", flush=True)
MPI.COMM_WORLD.Barrier()
if rank == 1:
    mode = sys.argv[sys.argv.index("--mode") + 1]
    if mode == "kill-self":
        os.kill(os.getpid(), signal.SIGKILL)
    elif mode == "kill-worker":  # the rank's harness process, the script's parent
        os.kill(os.getppid(), signal.SIGKILL)
    else:
        raise ValueError("rank one is broken")
time.sleep(60)  # rank 0 waits: the failure of rank 1 must end it
"""


@pytest.mark.parametrize(
    ("mode", "needles"),
    [
        ("kill-self", ["rank 1 was killed by signal 9 (SIGKILL)", "logs/rank_1.txt"]),
        ("kill-worker", ["rank 1 was killed by signal 9 (SIGKILL)", "logs/rank_1.txt"]),
        ("raise", ["rank 1 failed: ValueError: rank one is broken", "logs/rank_1.txt"]),
    ],
)
def test_a_failing_rank_fails_the_run_naming_the_rank(home, tmp_path, mode, needles):
    source = tmp_path / "src"
    source.mkdir()
    (source / "train.py").write_text(SCRIPT)
    result = run_cli(
        "train", "+estimator=script", f"estimator.source_directory={source}",
        "estimator.entry_script=train.py", f"+estimator.script_params.mode={mode}",
        "compute=mpi", "compute.process_count_per_node=2",
        home=home, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1, result.output
    assert "Traceback" not in result.stderr.split("harness:")[-1]
    shown = run_cli("runs", "show", result.run_id, "--format", "json", home=home).json()
    assert shown["status"] == "Failed", shown
    for needle in needles:
        assert needle in (shown["error"] or ""), shown["error"]
    logs = home / "runs" / result.run_id / "logs"
    for rank in (0, 1):  # both ranks' logs are kept
        assert f"rank {rank} up" in (logs / f"rank_{rank}.txt").read_text()


def _rank_logs(folder, *ranks):
    for rank in ranks:
        (folder / f"rank_{rank}.txt").write_text(f"rank {rank} up\n")


#: What launchers print for "rank 1 died of SIGKILL"; the diagnosis must not need it.
LAUNCHER_WORDS = {
    "nothing": "",
    "open-mpi-5": (
        "prterun detected that one or more processes exited with non-zero status,\n"
        "thus causing the job to be terminated. The first process to do so was:\n\n"
        "   Process name: [prterun-vm-9545@1,1]\n   Exit code:    137\n"
    ),
    "open-mpi-4": "mpirun noticed that process rank 1 with PID 7 on node vm exited on signal 9 (Killed).",
    "mpich": (
        "=   BAD TERMINATION OF ONE OF YOUR APPLICATION PROCESSES\n"
        "=   RANK 1 PID 7 RUNNING AT vm\n=   KILLED BY SIGNAL: 9 (Killed)\n"
    ),
    "misleading": "process rank 0 with PID 3 on node vm exited on signal 15 (Terminated).",
}


@pytest.mark.parametrize("words", sorted(LAUNCHER_WORDS))
def test_the_killed_rank_is_named_whatever_the_launcher_prints(tmp_path, words):
    (tmp_path / "mpiexec.txt").write_text(LAUNCHER_WORDS[words])
    _rank_logs(tmp_path, 0, 1)
    (tmp_path / "rank_0.exit").write_text("130\n")  # stopped by mpiexec: a consequence
    # rank 1 was killed outright: it left no exit record
    message = failure_message(tmp_path, 2, 137)
    assert message.startswith("rank 1 was killed by signal 9 (SIGKILL)"), message


def test_a_rank_whose_script_was_killed_is_named_from_its_exit_record(tmp_path):
    (tmp_path / "mpiexec.txt").write_text(LAUNCHER_WORDS["misleading"])
    _rank_logs(tmp_path, 0, 1)
    (tmp_path / "rank_0.exit").write_text("143\n")  # SIGTERM from mpiexec: a consequence
    (tmp_path / "rank_1.exit").write_text("139\n")  # the script died of SIGSEGV
    message = failure_message(tmp_path, 2, 1)
    assert message.startswith("rank 1 was killed by signal 11 (SIGSEGV)"), message


# Two ranks that log until stopped; each writes its script's pid for the test.
LONG = """
import os, time
from mpi4py import MPI
from harness import Run
rank = MPI.COMM_WORLD.Get_rank()
run = Run.get_context()
with open(f"outputs/script{rank}.pid", "w") as handle:
    handle.write(str(os.getpid()))
for step in range(1200):
    run.log("loss", float(step))
    time.sleep(0.1)
"""


def _start_mpi_job(home, tmp_path):
    import os
    import subprocess

    from harness.testing import harness_executable

    source = tmp_path / "src"
    source.mkdir()
    (source / "train.py").write_text(LONG)
    env = dict(os.environ, HARNESS_HOME=str(home))
    env.pop("HARNESS_JOB_SPEC", None)
    proc = subprocess.Popen(
        [
            harness_executable(), "train", "+estimator=script",
            f"estimator.source_directory={source}", "estimator.entry_script=train.py",
            "compute=mpi", "compute.process_count_per_node=2",
        ],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    import time

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        # rank 0 writes the run's outputs/, another rank its own ranks/N/outputs/
        runs = home / "runs"
        pids = [*runs.glob("*/outputs/script*.pid"), *runs.glob("*/ranks/*/outputs/script*.pid")]
        if len(pids) == 2 and all(p.read_text() for p in pids):
            return proc, {int(p.name[6]): int(p.read_text()) for p in pids}
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    proc.kill()
    pytest.fail("the ranks never started:\n" + "".join(proc.communicate()))


def _launcher_pid(driver_pid: int) -> int:
    from pathlib import Path

    children = Path(f"/proc/{driver_pid}/task/{driver_pid}/children").read_text().split()
    for child in children:
        name = Path(f"/proc/{child}/comm").read_text().strip()
        if name in ("prterun", "mpiexec", "mpirun", "orterun"):
            return int(child)
    raise AssertionError(f"no mpiexec among the driver's children {children}")


def _gone_within(pids, seconds: float) -> list[int]:
    import os
    import time

    deadline = time.monotonic() + seconds
    alive = list(pids)
    while alive and time.monotonic() < deadline:
        alive = [p for p in alive if os.path.exists(f"/proc/{p}") and _not_zombie(p)]
        time.sleep(0.2)
    return alive


def _not_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _rank_pids(home) -> list[int]:
    from harness.testing import workspace_processes

    return workspace_processes(home)


def test_killing_the_driver_takes_every_rank_and_script_with_it(home, tmp_path):
    import os
    import signal

    proc, scripts = _start_mpi_job(home, tmp_path)
    everything = _rank_pids(home)
    assert set(scripts.values()) <= set(everything)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    left = _gone_within(everything, 20)
    assert left == [], f"still running 20 s after the driver's kill -9: {left}"


def test_killing_mpiexec_names_mpiexec_and_takes_the_ranks(home, tmp_path):
    import os
    import signal

    proc, scripts = _start_mpi_job(home, tmp_path)
    everything = [p for p in _rank_pids(home) if p != proc.pid]
    os.kill(_launcher_pid(proc.pid), signal.SIGKILL)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, out + err
    assert _gone_within(everything, 20) == []
    (run_json,) = (home / "runs").glob("*/run.json")
    import json

    record = json.loads(run_json.read_text())
    assert record["status"] == "Failed", record
    assert record["error"].startswith("mpiexec was killed by signal 9 (SIGKILL)"), record["error"]


def test_sigterm_to_rank_1s_script_is_rank_1s_failure(home, tmp_path):
    import json
    import os
    import signal

    proc, scripts = _start_mpi_job(home, tmp_path)
    os.kill(scripts[1], signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, out + err
    (run_json,) = (home / "runs").glob("*/run.json")
    record = json.loads(run_json.read_text())
    assert record["status"] == "Failed", record
    assert record["error"].startswith("rank 1 was killed by signal 15 (SIGTERM)"), record["error"]
    assert _gone_within(_rank_pids(home), 20) == []
