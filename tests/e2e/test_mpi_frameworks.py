"""Framework estimators data-parallel on 2 MPI ranks through `harness train compute=mpi`.

The accuracy bars are the single-process tests' own (tests/e2e/test_*_estimator.py).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from harness.testing import run_cli


@pytest.fixture
def mpi_path() -> dict[str, str]:
    from harness.plugins.mpi.launcher import find_mpiexec

    return {"PATH": os.pathsep.join([str(Path(find_mpiexec()).parent), os.environ["PATH"]])}


def show(run_id, home):
    result = run_cli("runs", "show", run_id, "--format", "json", home=home)
    assert result.returncode == 0, result.output
    return result.json()


def two_rank_run(home, env, *overrides):
    result = run_cli(
        "train", *overrides, "compute=mpi", "compute.process_count_per_node=2",
        home=home, env=env, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.output
    data = show(result.run_id, home)
    assert data["status"] == "Completed" and data["world_size"] == 2
    logs = home / "runs" / result.run_id / "logs"
    assert (logs / "rank_0.txt").stat().st_size > 0 and (logs / "rank_1.txt").exists()
    metric_files = os.listdir(home / "runs" / result.run_id / "metrics")
    assert metric_files and all(name.startswith("rank0-") for name in metric_files)
    return result, data, logs


@pytest.mark.slow
def test_chainer_trains_with_chainermn_on_two_ranks(home, mpi_path):
    result, data, logs = two_rank_run(home, mpi_path, "+estimator=chainer", "epochs=4")
    assert "per rank × 2 ranks (ChainerMN)" in (logs / "rank_0.txt").read_text()
    assert "ChainerMN" in result.stdout  # rank 0 streamed live
    assert data["metrics"]["accuracy"] >= 0.85  # the single-process bar
    assert "outputs/model.npz" in data["files"]


@pytest.mark.slow
def test_pytorch_trains_with_ddp_on_two_ranks(home, mpi_path):
    # The single-process test's settings and bar (test_pytorch_estimator.py).
    result, data, logs = two_rank_run(
        home,
        mpi_path,
        "+estimator=pytorch",
        "lr=0.003",
        "estimator.optimizer=adam",
        "epochs=3",
        "estimator.device=cpu",  # two ranks, and a test machine may have one GPU
    )
    assert data["metrics"]["accuracy"] >= 0.85
    assert "outputs/model.pt" in data["files"]  # saved once, by rank 0
    # DDP keeps the replicas identical: both ranks print the same model digest.
    digests = [
        re.search(r"rank \d: model digest (\S+)", (logs / f"rank_{r}.txt").read_text())
        for r in (0, 1)
    ]
    assert all(digests) and digests[0].group(1) == digests[1].group(1)
