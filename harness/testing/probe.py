"""``probe``: a tiny estimator for testing computes and loggers (no framework).

Load it with ``HARNESS_PLUGINS=harness.testing.probe`` (job processes inherit it):
``harness train +estimator=probe estimator.score=0.25 estimator.exit_code=3``.
It logs ``probe_score`` (its primary metric), ``niceness`` and ``world_size``, writes
``outputs/probe.txt`` and ``outputs/process.json`` (its process's command line,
folder, ``sys.path[0]``), and exits with ``estimator.exit_code`` to test failures;
``+estimator.refuse_in_job=true`` makes its job refuse the config (a config error);
``+estimator.kill_siblings=true`` kills the other children of its job process's
parent (a fork server's spare, the next job's process made ahead).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from typing import Any

from harness.contract.components import Estimator
from harness.contract.hookspecs import hookimpl
from harness.errors import ConfigError
from harness.run.processes import start_ticks

MODULE = __name__


#: Set by ``preload`` (in a job process started before composition).
preloaded = False


class ProbeEstimator(Estimator):
    primary_metric = "probe_score"
    goal = "maximize"

    @classmethod
    def preload(cls) -> None:
        global preloaded
        preloaded = True

    def validate(self, config: Any) -> None:
        code = config.estimator.get("exit_code", 0)
        if not isinstance(code, int) or not 0 <= code <= 255:
            raise ConfigError(f"estimator.exit_code must be an integer 0..255, got {code!r}")

    def validate_in_job(self, config: Any) -> None:
        if config.estimator.get("refuse_in_job"):
            raise ConfigError("estimator.refuse_in_job is set: the job refuses this config")

    def train(self, run: Any) -> None:
        options = run.params.estimator
        run.log("probe_score", float(options.score))
        run.log("niceness", os.nice(0))
        run.log("world_size", run.world_size)
        if options.get("kill_siblings"):
            _kill_siblings()
        time.sleep(float(options.get("seconds") or 0))
        if run.is_main_process:
            run.outputs_dir.mkdir(parents=True, exist_ok=True)
            (run.outputs_dir / "probe.txt").write_text(f"score={options.score}\n")
            (run.outputs_dir / "process.json").write_text(json.dumps(_process_facts()))
        print(f"probe: trained (rank {run.rank} of {run.world_size})", flush=True)
        if options.exit_code:
            print(f"probe: failing on purpose with exit code {options.exit_code}", file=sys.stderr)
            raise SystemExit(int(options.exit_code))


def _kill_siblings() -> None:
    parent = os.getppid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            if ppid == parent:
                os.kill(int(entry), signal.SIGKILL)
                print(f"probe: killed sibling {entry}", flush=True)
        except (OSError, ValueError):
            continue  # gone meanwhile


def _process_started_s() -> float:
    """Now minus this process's age (its start in clock ticks since boot, against
    the uptime): to about 10 ms."""
    ticks = start_ticks(os.getpid())
    assert ticks is not None, "the probe's process facts need Linux's /proc"
    with open("/proc/uptime") as handle:
        uptime = float(handle.read().split()[0])
    return time.time() - (uptime - ticks / os.sysconf("SC_CLK_TCK"))


def _process_facts() -> dict[str, Any]:
    """What the job's process looks like from inside: tests compare a worker
    started before composition with one started after."""
    with open("/proc/self/cmdline", "rb") as handle:
        cmdline = [part.decode() for part in handle.read().split(b"\0") if part]
    return {
        "cmdline": cmdline,
        "argv": sys.argv,
        "cwd": os.getcwd(),
        "sys_path0": sys.path[0],
        "preloaded": preloaded,
        "job_spec_env": os.environ.get("HARNESS_JOB_SPEC"),
        "stdin": os.readlink("/proc/self/fd/0") if os.path.exists("/proc/self/fd/0") else None,
        "pid": os.getpid(),
        "session": os.getsid(0),
        "process_group": os.getpgid(0),
        # When the process began (seconds since the epoch, to the clock tick): a
        # fork server's spare begins before its job's run is Running.
        "process_started_s": _process_started_s(),
        # The thread pools' size a launcher gave the job (joblib sets these).
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
    }


@hookimpl
def harness_register_estimators(register: Any) -> None:
    register("probe", ProbeEstimator)


@hookimpl
def harness_config_searchpath() -> list[str]:
    return ["pkg://harness.testing.conf"]
