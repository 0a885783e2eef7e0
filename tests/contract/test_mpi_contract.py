"""The mpi compute passes the contract tests plugin authors use, on 2 ranks."""

from __future__ import annotations

import os
from pathlib import Path

from harness.testing.contracts import ComputeContract


def _mpiexec_path() -> dict[str, str]:
    """mpiexec's folder on PATH (in CI it is beside python, where the plugin looks first)."""
    from harness.plugins.mpi.launcher import find_mpiexec

    try:
        folder = str(Path(find_mpiexec()).parent)
    except Exception:  # reported by the tests themselves: compute=mpi needs mpiexec
        return {}
    return {"PATH": os.pathsep.join([folder, os.environ.get("PATH", "")])}


class TestMpiCompute(ComputeContract):
    name = "mpi"
    env = _mpiexec_path()
    overrides = ("compute.process_count_per_node=2",)
    invalid_overrides = ("compute.timeout=-5", "compute.process_count_per_node=0")
