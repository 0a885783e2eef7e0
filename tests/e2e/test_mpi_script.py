"""Script mode (`+estimator=script`) on 2 MPI ranks through the real `harness` command."""

from __future__ import annotations

import os
import textwrap
import time
from pathlib import Path

import pytest

from harness.testing import run_cli

# Reads its rank both ways, logs on every rank, and talks MPI itself.
RANKS_SCRIPT = """
import os
from mpi4py import MPI
from harness import Run

run = Run.get_context()
env_rank = int(os.environ["OMPI_COMM_WORLD_RANK"])
total = MPI.COMM_WORLD.allreduce(env_rank + 1)
print(f"script rank={run.rank} env_rank={env_rank} world={run.world_size} allreduce={total}")
run.log("rank", run.rank)
run.log("accuracy", 0.5 + run.rank)
"""

# Rank 1 raises; rank 0 waits for it, in an MPI collective or in a plain sleep.
FAILING_SCRIPT = """
import os, sys, time

rank = int(os.environ["OMPI_COMM_WORLD_RANK"])
if sys.argv[1] == "collective":
    from mpi4py import MPI
    if rank == 1:
        raise RuntimeError("shard 1 is corrupt")
    MPI.COMM_WORLD.Barrier()
else:
    if rank == 1:
        raise RuntimeError("shard 1 is corrupt")
    time.sleep(120)
"""


@pytest.fixture
def mpi_path() -> dict[str, str]:
    from harness.plugins.mpi.launcher import find_mpiexec

    return {"PATH": os.pathsep.join([str(Path(find_mpiexec()).parent), os.environ["PATH"]])}


def script_on_two_ranks(home, src: Path, script: str, env, *overrides):
    (src / "train.py").write_text(textwrap.dedent(script))
    return run_cli(
        "train", "+estimator=script", f"estimator.source_directory={src}",
        "estimator.entry_script=train.py", "compute=mpi", "compute.process_count_per_node=2",
        *overrides, home=home, env=env, timeout=120,
    )  # fmt: skip


def show(run_id, home):
    result = run_cli("runs", "show", run_id, "--format", "json", home=home)
    assert result.returncode == 0, result.output
    return result.json()


def test_script_on_two_ranks_logs_from_rank_0_only(home, tmp_path, mpi_path):
    result = script_on_two_ranks(home, tmp_path, RANKS_SCRIPT, mpi_path)
    assert result.returncode == 0, result.output
    data = show(result.run_id, home)
    assert data["status"] == "Completed" and data["world_size"] == 2
    # Both ranks logged; only rank 0's values were recorded.
    assert data["history"]["rank"] == [
        {"step": 0, "value": 0, "time": data["history"]["rank"][0]["time"]}
    ]
    assert data["metrics"]["accuracy"] == 0.5
    metric_files = os.listdir(home / "runs" / result.run_id / "metrics")
    assert metric_files and all(name.startswith("rank0-") for name in metric_files)
    logs = home / "runs" / result.run_id / "logs"
    # The script runs on every rank, knows its rank both ways, and owns MPI.
    rank_1 = (logs / "rank_1.txt").read_text()
    assert "script rank=1 env_rank=1 world=2 allreduce=3" in rank_1
    assert "script rank=0 env_rank=0 world=2 allreduce=3" in (logs / "rank_0.txt").read_text()
    assert "script rank=0" in result.stdout and "script rank=1" not in result.stdout


@pytest.mark.parametrize("waiting", ["collective", "sleep"])
def test_script_raising_on_rank_1_fails_the_run_fast_naming_rank_1(
    home, tmp_path, mpi_path, waiting
):
    started = time.monotonic()
    result = script_on_two_ranks(
        home, tmp_path, FAILING_SCRIPT, mpi_path, f"estimator.arguments=[{waiting}]"
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 1, result.output
    assert elapsed < 30, f"the job took {elapsed:.0f} s to fail"
    data = show(result.run_id, home)
    assert data["status"] == "Failed"
    assert "rank 1 failed: RuntimeError: shard 1 is corrupt" in data["error"], data["error"]
    logs = home / "runs" / result.run_id / "logs"
    rank_1 = (logs / "rank_1.txt").read_text()
    assert "Traceback (most recent call last)" in rank_1 and 'train.py", line' in rank_1
    assert (logs / "rank_0.txt").exists() and (logs / "mpiexec.txt").exists()
