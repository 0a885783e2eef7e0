"""What every MPI rank runs: ``python -m mpi4py -m harness.plugins.mpi.rank JOB_SPEC``.

``-m mpi4py`` turns an unhandled exception (or a non-zero exit) on any rank into
``MPI_Abort``, so one failing rank ends the whole job in about a second instead
of leaving the others blocked in a collective forever. MPI is initialised by the
``harness_worker_start`` hook (``run.comm``), not here, and not at all when the
estimator runs the user's script as a child process: that child owns the rank and
runs under ``-m mpi4py`` itself. A rank that never initialised MPI and exits
non-zero ends the job too (mpiexec stops the others).

Before anything else runs, the rank points its own stdout and stderr (the file
descriptors, not just ``sys.stdout``) at ``logs/rank_N.txt``. Why here and not
with mpiexec's ``--output-filename``: it works the same with any MPI (Open MPI's
option differs between versions and MPICH has none), it gives one file per rank
with both streams in order, and a write to a file descriptor is in the file the
moment it is made, so the traceback before an ``MPI_Abort``, C-level output and a
fatal signal's last words are never lost in a forwarding buffer. The driver
follows ``rank_0.txt`` to the terminal; mpiexec's own messages go to
``logs/mpiexec.txt``.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.contract.jobspec import JobSpec

from harness import envvars

#: Kept open so the launcher's I/O forwarding never sees the rank's pipes close early.
_original_fds: tuple[int, int] | None = None


def rank_log(logs_dir: Path, rank: int) -> Path:
    return logs_dir / f"rank_{rank}.txt"


def redirect_output(path: Path) -> None:
    """Send this process's fds 1 and 2 (and everything it starts) to ``path``."""
    global _original_fds
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    _original_fds = (os.dup(1), os.dup(2))
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def launcher_rank() -> int:
    """This process's rank, read from the launcher's environment.

    Not from ``MPI.COMM_WORLD``: initialising MPI here would take the rank away from
    a script-mode child process, which must be the one to initialise it.
    """
    return envvars.rank()


def main(argv: list[str]) -> int:
    from harness import worker
    from harness.contract.jobspec import JobSpec

    if len(argv) != 1:
        print("usage: python -m mpi4py -m harness.plugins.mpi.rank JOB_SPEC", file=sys.stderr)
        return 2
    spec = JobSpec.load(argv[0])
    rank = launcher_rank()
    if not start_rank(spec, rank):
        return 0
    code = worker.main(argv)
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


def start_rank(spec: JobSpec, rank: int) -> bool:
    """Point this rank's output at its log; False when it has nothing to do (an
    estimator without data-parallel training trains on rank 0 only). Shared by
    every compute that starts ranks (``mpi``, ``slurm``)."""
    redirect_output(rank_log(spec.logs_dir, rank))
    os.environ.setdefault(envvars.QUIET_PLUGINS, "1")
    if rank != 0 and not spec.trait("data_parallel", True):
        print(
            f"rank {rank}: estimator '{spec.estimator}' has no data-parallel training; "
            "it trains on rank 0 only, this rank has nothing to do"
        )
        return False
    return True


if __name__ == "__main__":
    from harness.worker import finish

    finish(main(sys.argv[1:]))
