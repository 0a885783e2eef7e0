"""Every environment variable the harness reads or sets, named once.

Other modules import these names instead of spelling the strings, so a search for
one variable finds every place that uses it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

# --- the workspace and the plugins -------------------------------------------
#: The workspace folder (default ~/.harness).
HOME = "HARNESS_HOME"
#: Plugin names (entry-point names) not to load, comma-separated.
DISABLE_PLUGINS = "HARNESS_DISABLE_PLUGINS"
#: Extra plugin modules to load by import name or ``file://`` path, comma-separated
#: (as pytest's PYTEST_PLUGINS): for trying a plugin without installing it.
PLUGINS = "HARNESS_PLUGINS"
#: Set in job processes: the driver already showed the plugin warnings once.
QUIET_PLUGINS = "HARNESS_QUIET_PLUGINS"
#: When set (even empty): the only third-party plugins (entry-point names,
#: comma-separated) that load; the harness's own always load unless disabled.
PLUGINS_ALLOW = "HARNESS_PLUGINS_ALLOW"
#: ``1``: print every hook call (plugin, arguments, duration) and each plugin's
#: import time on stderr, and the traceback of a plugin's failure.
TRACE_PLUGINS = "HARNESS_TRACE_PLUGINS"
#: The harness's cache folder (the plugin index; default ``$XDG_CACHE_HOME/harness``
#: or ``~/.cache/harness``); empty: nothing is cached.
CACHE_DIR = "HARNESS_CACHE_DIR"

# --- one run ------------------------------------------------------------------
#: Set in every job process: the path of its job.json (``Run.get_context()``).
JOB_SPEC = "HARNESS_JOB_SPEC"
#: Set for a job whose output goes to a terminal (the console logger draws bars).
TERMINAL = "HARNESS_TERMINAL"
#: The sweep a run joins (set by ``train -m`` and ``harness bench`` for their jobs).
SWEEP_ID = "HARNESS_SWEEP_ID"
#: Where script mode tells a user's script to write (the run's folders and id).
OUTPUTS_DIR = "HARNESS_OUTPUTS_DIR"
LOGS_DIR = "HARNESS_LOGS_DIR"
RUN_ID = "HARNESS_RUN_ID"
#: The rendezvous address for multi-node PyTorch DDP (default: rank 0's host).
MASTER_ADDR = "HARNESS_MASTER_ADDR"
#: ``0``: ``harness train`` starts no job process before composing (see
#: ``harness.contract.early_worker``); the job's process starts after, as in a sweep.
EARLY_WORKER = "HARNESS_EARLY_WORKER"
#: A file the caller of ``harness train`` reads its JSON events from (run created,
#: refused, finished: ``harness.job.events``); never passed on to jobs.
EVENTS = "HARNESS_EVENTS"
#: Threads for datastore transfers (default: 2 per core, at most 8).
DATASTORE_THREADS = "HARNESS_DATASTORE_THREADS"
#: Seconds between a run's system metrics samples (default 1; 0: none are written).
SYSTEM_METRICS_INTERVAL = "HARNESS_SYSTEM_METRICS_INTERVAL"

# --- ranks, as the launchers set them -----------------------------------------
# Open MPI, PMIx (Open MPI 5, Slurm), MPICH/Intel MPI (PMI), torchrun. The first
# one set wins, so a process started by mpiexec never reads torchrun's names.
RANK_VARS = ("OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "RANK")
SIZE_VARS = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "WORLD_SIZE")
LOCAL_RANK_VARS = ("OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "LOCAL_RANK")
LOCAL_SIZE_VARS = ("OMPI_COMM_WORLD_LOCAL_SIZE", "LOCAL_WORLD_SIZE")
#: Set only under an MPI launcher (not torchrun).
MPI_SIZE_VARS = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE")


def first_int(names: Iterable[str], default: int) -> int:
    """The value of the first of ``names`` that holds a whole number, else ``default``."""
    for name in names:
        value = os.environ.get(name, "").strip()
        if value.isdigit():
            return int(value)
    return default


def rank() -> int:
    """This process's rank from the launcher's environment (0 outside a launcher)."""
    return first_int(RANK_VARS, 0)
