"""What a compute that starts ranks needs on each rank: its log, its entry, its end.

Every rank of a multi-process job (``mpi`` under mpiexec, ``slurm`` under srun, a
third-party launcher alike) first points its own stdout and stderr (the file
descriptors, not just ``sys.stdout``) at ``logs/rank_N.txt``. Why there and not
with a launcher's option (Open MPI's ``--output-filename``): it works the same
with any launcher, it gives one file per rank with both streams in order, and a
write to a file descriptor is in the file the moment it is made, so the
traceback before an abort, C-level output and a fatal signal's last words are
never lost in a forwarding buffer. The driver follows ``rank_0.txt`` to the
terminal (``harness.contract.follow.FileFollower``).

Then the rank runs the harness worker in its own process (``run_worker``) and
leaves through ``finish``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from harness import envvars

if TYPE_CHECKING:
    from harness.contract.jobspec import JobSpec

__all__ = [
    "TRACEBACK",
    "exception_line",
    "finish",
    "launcher_rank",
    "rank_log",
    "redirect_output",
    "run_worker",
    "start_rank",
]

TRACEBACK = "Traceback (most recent call last):"

#: Kept open so the launcher's I/O forwarding never sees the rank's pipes close early.
_original_fds: tuple[int, int] | None = None


def rank_log(logs_dir: Path, rank: int) -> Path:
    """``logs/rank_N.txt``: where rank ``rank`` writes (both streams)."""
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


def start_rank(spec: JobSpec, rank: int) -> bool:
    """Point this rank's output at its log; False when it has nothing to do (an
    estimator without data-parallel training trains on rank 0 only).

    The rank dies with its launcher: it asks for SIGTERM when its parent (mpiexec,
    prterun's daemon, srun's step) dies. Without that, a SIGKILLed driver or
    launcher left both ranks and their scripts training on, unsupervised; with it
    the worker turns the SIGTERM into a cancel and a script flushes and exits."""
    from harness.contract.supervise import follow_parent_out

    if not follow_parent_out():
        raise SystemExit(143)  # the launcher is gone already: nothing to run for
    redirect_output(rank_log(spec.logs_dir, rank))
    os.environ.setdefault(envvars.QUIET_PLUGINS, "1")
    if rank != 0 and not spec.trait("data_parallel", True):
        print(
            f"rank {rank}: estimator '{spec.estimator}' has no data-parallel training; "
            "it trains on rank 0 only, this rank has nothing to do"
        )
        return False
    return True


def run_worker(spec_path: str | os.PathLike[str]) -> int:
    """Run the job in this process, as ``python -m harness.worker JOB_SPEC`` would;
    its exit code: 0 completed, 1 failed, 2 refused config, 130 interrupted."""
    from harness import worker

    return worker.main([str(spec_path)])


def finish(code: int) -> NoReturn:
    """Leave the rank's process with ``code``: fast when it succeeded (no
    interpreter teardown), through Python's normal exit when it failed (so that
    under ``python -m mpi4py`` an error still aborts every rank)."""
    from harness import worker

    worker.finish(code)
    raise SystemExit(code)  # (worker.finish does not return)


def exception_line(log: str) -> str | None:
    """The exception line that ends the last Python traceback in ``log``."""
    at = log.rfind(TRACEBACK)
    if at < 0:
        return None
    for line in log[at:].splitlines()[1:]:
        # Frames are indented; the first unindented line after them is the exception.
        if line.strip() and not line.startswith((" ", "\t")):
            return line.strip()
    return None
