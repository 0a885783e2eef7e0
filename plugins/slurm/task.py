"""What every task of a ``compute=slurm`` job runs on its node (submitit calls it).

srun starts one task per rank; each runs this function in submitit's process,
which then runs the harness worker in-process, like an ``mpi`` rank does. The
rank comes from Slurm (``SLURM_PROCID``); it is put where ``harness.Run`` looks
for it (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``) before anything reads it.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
from pathlib import Path

#: Written first by rank 0, so the driver knows the node sees the workspace.
NODE_MARK = "slurm_node.txt"
#: Written by a single-rank job's task when its worker returns: the driver learns
#: of the end from the shared file system at once, not at its next look at Slurm.
EXIT_MARK = "slurm_exit.json"


def run_rank(spec_path: str) -> int:
    # submitit asks Slurm for USR2 before the time limit to requeue checkpointable
    # jobs; a harness job is not requeued (the run ends Failed at the limit), and
    # submitit's handler would exit the job 90 s before its time.
    signal.signal(signal.SIGUSR2, signal.SIG_IGN)
    spec = Path(spec_path)
    rank = int(os.environ.get("SLURM_PROCID", "0"))
    if not spec.is_file():
        # The driver reads this line from submitit's log (if that is visible) and
        # otherwise reports that no task reached the workspace.
        print(
            f"harness: node {socket.gethostname()} does not see the workspace: "
            f"{spec} is missing. Put HARNESS_HOME on a file system that every node "
            "mounts at the same path.",
            file=sys.stderr,
            flush=True,
        )
        raise SystemExit(3)
    os.environ["RANK"] = str(rank)
    os.environ["WORLD_SIZE"] = os.environ.get("SLURM_NTASKS", "1")
    os.environ["LOCAL_RANK"] = os.environ.get("SLURM_LOCALID", "0")
    if os.environ.get("SLURM_JOB_NUM_NODES", "1") == "1":
        # As compute=mpi does on one node: skip Open MPI's ~1 s libfabric probe
        # (plugins/mpi/launcher.py says why), unless the user chose BTLs.
        os.environ.setdefault("OMPI_MCA_btl", "^ofi")
    from harness.contract.compute_kit import run_worker, start_rank
    from harness.contract.jobspec import JobSpec

    job = JobSpec.load(spec)
    if rank == 0:
        (job.logs_dir / NODE_MARK).write_text(socket.gethostname() + "\n")
    if not start_rank(job, rank):
        return 0
    code = run_worker(spec)
    if rank == 0 and os.environ.get("SLURM_NTASKS", "1") == "1":
        from harness.contract.files import atomic_write_json

        atomic_write_json(job.logs_dir / EXIT_MARK, {"exit_code": code})
    if code:
        # A non-zero exit (not a returned value) makes Slurm mark the job FAILED and,
        # with --kill-on-bad-exit, stop the other ranks.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return 0
