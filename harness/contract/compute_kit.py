"""The compute toolkit: the public API a compute plugin builds on.

A compute's contract is "run ``python -m harness.worker JOB_SPEC`` in every process
of the job and supervise it" (``Compute.launch``, docs/plugins.md). The built-in
computes (``local``, ``mpi``, ``slurm``, ``ray``) use only what this module offers,
so a third-party compute can do everything they do. Four parts:

- **Supervision** of a local process tree (``run_supervised``): its own process
  group, live output teed into ``logs/``, Ctrl-C, a timeout and a stop request that
  stop the whole group (SIGINT, then SIGTERM, then SIGKILL: ``stop_group``), and
  the job dying with the driver (``die_with_parent``).
- **The stop and interrupt check**, for a compute that waits on something other
  than a local process (a scheduler, an actor): inside ``handle_interrupts()``,
  poll ``check_interrupted()`` (raises ``KeyboardInterrupt`` after a Ctrl-C or
  SIGTERM, even one Python swallowed) and ``stop_requested()`` (the sweep watch
  asks to stop the job early), and stop the job when either says so.
- **The early worker hand-off**: a single local run's job process is started
  before the config is composed; a compute whose processes are plain local ones
  may take it (``take_early_worker``, with ``Compute.takes_early_worker = True``).
- **The rank entry point**: on each rank, ``start_rank`` (output into
  ``logs/rank_N.txt``), ``run_worker`` (the job, in this process), ``finish``;
  in the driver, ``FileFollower`` shows rank 0's log live and ``exception_line``
  reads a rank's error from its log.

``process_alive(pid, ticks=...)`` is the harness's one answer to "is this process
(still the one I recorded) alive". The environment variables a job reads (rank, world size, ``HARNESS_*``) are named
in ``harness.contract.envvars``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harness.contract.early_worker import take as take_early_worker
from harness.contract.follow import FileFollower
from harness.contract.interrupts import check as check_interrupted
from harness.contract.interrupts import recorded as handle_interrupts
from harness.contract.interrupts import stop_event
from harness.contract.ranks import (
    exception_line,
    finish,
    launcher_rank,
    rank_log,
    redirect_output,
    run_worker,
    start_rank,
)
from harness.contract.supervise import (
    GRACE_S,
    TERMINAL_ENV,
    Supervised,
    describe_exit,
    die_with_parent,
    follow_parent_out,
    job_environment,
    no_space_reason,
    run_supervised,
    stop_group,
    write_stop_note,
)
from harness.errors import ConfigError
from harness.run.processes import alive as process_alive
from harness.run.record import STOP_NOTE

if TYPE_CHECKING:
    from harness.contract.jobspec import JobSpec

__all__ = [
    "GRACE_S",
    "STOP_NOTE",
    "TERMINAL_ENV",
    "FileFollower",
    "Supervised",
    "check_interrupted",
    "describe_exit",
    "die_with_parent",
    "exception_line",
    "finish",
    "follow_parent_out",
    "handle_interrupts",
    "job_environment",
    "launcher_rank",
    "no_space_reason",
    "process_alive",
    "rank_log",
    "redirect_output",
    "run_supervised",
    "run_worker",
    "start_rank",
    "stop_event",
    "stop_group",
    "stop_requested",
    "string_list",
    "take_early_worker",
    "wants_communicator",
    "worker_command",
    "write_stop_note",
]


def worker_command(job: JobSpec, python: str | None = None) -> list[str]:
    """The command every process of ``job`` runs: ``PYTHON -m harness.worker JOB_SPEC``
    (``python``: default the job's own interpreter, ``job.worker_python``)."""
    return [python or job.worker_python, "-m", "harness.worker", str(job.spec_path)]


def stop_requested() -> bool:
    """Whether the job this driver supervises should stop now (the sweep watch's
    early termination); stop it as for Ctrl-C, and return a canceled result."""
    return stop_event().is_set()


def wants_communicator(spec: JobSpec) -> bool:
    """Whether the worker of ``spec`` should initialise MPI and set ``run.comm``
    (``Compute.worker_start``). MPI_Init waits for every rank, so only where all
    ranks will: not for a script-mode job (the user's script, a child process,
    owns the rank and initialises MPI itself), and not for an estimator that
    trains on rank 0 alone (the other ranks exit at once)."""
    return spec.trait("data_parallel", True) and not spec.trait("trains_in_child_process")


def string_list(node: Any, key: str) -> list[str]:
    """``compute.KEY`` as a list of command-line arguments (a string is split);
    a ``ConfigError`` naming the key otherwise."""
    args = node.get(key) or []
    if isinstance(args, str):
        args = args.split()
    if not all(isinstance(a, str) for a in args):
        raise ConfigError(f"compute.{key} must be a list of strings, got {args!r}")
    return list(args)
