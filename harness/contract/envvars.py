"""The environment variables a plugin reads or sets, for plugin code.

The names are defined once, in ``harness.envvars`` (the core reads them too); a
plugin imports them from here, the plugin contract, like everything else it uses.
"""

from harness.envvars import (
    DATASTORE_THREADS,
    DISABLE_PLUGINS,
    EARLY_WORKER,
    EVENTS,
    HOME,
    JOB_SPEC,
    LOCAL_RANK_VARS,
    LOCAL_SIZE_VARS,
    LOGS_DIR,
    MASTER_ADDR,
    MPI_SIZE_VARS,
    OUTPUTS_DIR,
    PLUGINS,
    PLUGINS_ALLOW,
    QUIET_PLUGINS,
    RANK_VARS,
    RUN_ID,
    SIZE_VARS,
    SWEEP_ID,
    SYSTEM_METRICS_INTERVAL,
    TERMINAL,
    TRACE_PLUGINS,
    first_int,
    rank,
)

__all__ = [
    "DATASTORE_THREADS",
    "DISABLE_PLUGINS",
    "EARLY_WORKER",
    "EVENTS",
    "HOME",
    "JOB_SPEC",
    "LOCAL_RANK_VARS",
    "LOCAL_SIZE_VARS",
    "LOGS_DIR",
    "MASTER_ADDR",
    "MPI_SIZE_VARS",
    "OUTPUTS_DIR",
    "PLUGINS",
    "PLUGINS_ALLOW",
    "QUIET_PLUGINS",
    "RANK_VARS",
    "RUN_ID",
    "SIZE_VARS",
    "SWEEP_ID",
    "SYSTEM_METRICS_INTERVAL",
    "TERMINAL",
    "TRACE_PLUGINS",
    "first_int",
    "rank",
]
