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
