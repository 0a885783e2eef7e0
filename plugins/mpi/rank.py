"""What every MPI rank runs: ``python -m mpi4py -m harness.plugins.mpi.rank JOB_SPEC``.

``-m mpi4py`` turns an unhandled exception (or a non-zero exit) on any rank into
``MPI_Abort``, so one failing rank ends the whole job in about a second instead
of leaving the others blocked in a collective forever. MPI is initialised by the
``harness_worker_start`` hook (``run.comm``), not here, and not at all when the
estimator runs the user's script as a child process: that child owns the rank and
runs under ``-m mpi4py`` itself. A rank that never initialised MPI and exits
non-zero ends the job too (mpiexec stops the others).

Before anything else runs, the rank points its own stdout and stderr at
``logs/rank_N.txt`` (``harness.contract.compute_kit.start_rank`` says why there and
not with mpiexec's ``--output-filename``, whose spelling differs between Open MPI
versions and which MPICH lacks). The driver follows ``rank_0.txt`` to the
terminal; mpiexec's own messages go to ``logs/mpiexec.txt``.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

from harness.contract import compute_kit


def main(argv: list[str]) -> int:
    from harness.contract.jobspec import JobSpec

    if len(argv) != 1:
        print("usage: python -m mpi4py -m harness.plugins.mpi.rank JOB_SPEC", file=sys.stderr)
        return 2
    spec = JobSpec.load(argv[0])
    rank = compute_kit.launcher_rank()
    if not compute_kit.start_rank(spec, rank):
        return 0
    code = compute_kit.run_worker(argv[0])
    record_exit(spec.logs_dir, rank, code)
    return code


def exit_record(logs_dir: Path, rank: int) -> Path:
    return logs_dir / f"rank_{rank}.exit"


def record_exit(logs_dir: Path, rank: int, code: int) -> None:
    """Leave this rank's exit status beside its log. The diagnosis of a failed job
    reads these rather than mpiexec's wording (which differs between MPIs and
    versions); a rank killed outright leaves none, and that names it too."""
    with contextlib.suppress(OSError):  # a full disk: the diagnosis uses mpiexec's words
        exit_record(logs_dir, rank).write_text(f"{code}\n")


if __name__ == "__main__":
    compute_kit.finish(main(sys.argv[1:]))
