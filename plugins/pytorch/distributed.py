"""torch.distributed set-up from MPI ranks (``compute=mpi``).

The rendezvous goes over MPI: rank 0 picks a free TCP port and broadcasts its
address and port through ``run.comm`` (the mpi4py communicator the mpi compute
attaches). Without a communicator the usual ``MASTER_ADDR``/``MASTER_PORT``
environment variables are used, as torchrun sets them. Backend: gloo on CPU,
NCCL on CUDA.
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta
from typing import Any

import torch
import torch.distributed as dist

from harness.contract import envvars
from harness.errors import ConfigError


def free_port() -> int:
    # The port is released again before the TCP store binds it; the window is
    # tiny and a clash fails loudly in init_process_group, never silently.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("", 0))
        return int(sock.getsockname()[1])


def _communicator(run: Any) -> Any:
    if run.comm is not None:
        return run.comm
    launched_by_mpi = any(v in os.environ for v in envvars.MPI_SIZE_VARS)
    if "MASTER_ADDR" not in os.environ and launched_by_mpi:
        # Started by mpiexec without the mpi plugin's hook: use COMM_WORLD directly.
        try:
            from mpi4py import MPI
        except ImportError:
            return None
        return MPI.COMM_WORLD
    return None


def rendezvous(run: Any) -> str:
    """The ``init_method`` URL every rank agrees on."""
    comm = _communicator(run)
    if comm is None:
        missing = [v for v in ("MASTER_ADDR", "MASTER_PORT") if v not in os.environ]
        if missing:
            raise ConfigError(
                f"world_size={run.world_size} but no MPI communicator and no {', '.join(missing)}; "
                "run under compute=mpi, or set MASTER_ADDR and MASTER_PORT"
            )
        return "env://"
    hosts = comm.allgather(socket.gethostname())
    if comm.Get_rank() == 0:
        # One host: loopback. Several: rank 0's name (override with HARNESS_MASTER_ADDR).
        same_host = len(set(hosts)) == 1
        address = os.environ.get(envvars.MASTER_ADDR) or (
            "127.0.0.1" if same_host else socket.getfqdn()
        )
        endpoint = (address, free_port())
    else:
        endpoint = None
    address, port = comm.bcast(endpoint, root=0)
    return f"tcp://{address}:{port}"


def init(run: Any, device: torch.device, backend: str = "auto") -> None:
    """``backend`` auto: NCCL on CUDA (one GPU per rank), gloo on CPU. gloo on
    CUDA lets several ranks share a GPU (slower, for testing on one GPU)."""
    if backend == "auto":
        backend = "nccl" if device.type == "cuda" else "gloo"
    dist.init_process_group(
        backend,
        init_method=rendezvous(run),
        rank=run.rank,
        world_size=run.world_size,
        timeout=timedelta(minutes=5),
    )


def all_sum(values: list[float], device: torch.device) -> list[float]:
    """Sum a few numbers across ranks (validation counts, losses)."""
    if not (dist.is_available() and dist.is_initialized()):
        return values
    tensor = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(tensor)
    return tensor.tolist()


def model_digest(model: torch.nn.Module) -> str:
    """A short sha256 of every tensor in the state_dict (to show ranks agree)."""
    import hashlib

    digest = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(
            tensor.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes()
        )
    return digest.hexdigest()[:16]


def shutdown() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
