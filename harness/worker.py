"""The worker entry point every job process runs: ``python -m harness.worker JOB``.

It rebuilds the run context from the job spec, trains with the estimator the spec
names, and exits 0 (completed), 1 (the job failed) or 130 (interrupted). The
traceback of a failure goes to stderr, which the compute captures into ``logs/``.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import sys
import threading
import traceback
from typing import Any

from harness import envvars
from harness.contract.context import Run
from harness.contract.jobspec import ACCEPTED_FILE, CONFIG_ERROR_FILE, JobSpec
from harness.errors import ComponentFailure, HarnessError, PluginError
from harness.run import job_error
from harness.run.record import CANCELED, COMPLETED, FAILED
from harness.storage.workspace import atomic_write_bytes

EXIT_FAILED = 1
EXIT_CONFIG = 2
EXIT_INTERRUPTED = 130


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) == 3 and args[0] == "--early":
        spec_path = wait_for_job(args[1], int(args[2]))
        if spec_path is None:
            return 0  # the driver ran no job here
        args = [spec_path]
    if len(args) != 1:
        print("usage: python -m harness.worker JOB_SPEC", file=sys.stderr)
        return 2
    # SIGTERM (a dead driver, a stop that escalates past SIGINT) is a cancel too:
    # raising KeyboardInterrupt lets the run flush its metrics tail and close.
    signal.signal(signal.SIGTERM, _interrupt)
    spec = JobSpec.load(args[0])
    os.environ[envvars.JOB_SPEC] = str(spec.spec_path)
    # The driver already showed plugin warnings once; don't repeat them per rank.
    os.environ.setdefault(envvars.QUIET_PLUGINS, "1")

    from harness.contract.manager import get_plugin_manager

    manager = get_plugin_manager()
    run = Run.get_context()
    status, code = COMPLETED, 0
    try:
        estimator = manager.create("estimator", spec.estimator)
        # Before the worker-start hooks: no rank has initialised MPI yet, so every
        # rank refusing the same config ends the job at once.
        with manager.calling("estimator", spec.estimator, "Estimator.validate_in_job"):
            estimator.validate_in_job(run.params)
    except ComponentFailure as exc:  # a bug in the plugin, not the user's config
        _plugin_failed(spec, exc)
        run.close(FAILED)
        return EXIT_FAILED
    except HarnessError as exc:
        if run.rank == 0:
            atomic_write_bytes(spec.spec_path.parent / CONFIG_ERROR_FILE, str(exc).encode())
        run.close(FAILED, discarded=True)
        return EXIT_CONFIG
    if run.rank == 0:  # the run stays: its driver may tell its caller so
        with contextlib.suppress(OSError):
            atomic_write_bytes(spec.spec_path.parent / ACCEPTED_FILE, b"accepted\n")
    try:
        # The chosen compute first (e.g. MPI's communicator), then every plugin's hook.
        compute = manager.create("compute", spec.compute)
        with manager.calling("compute", spec.compute, "Compute.worker_start"):
            compute.worker_start(run)
        manager.worker_start(run)
        estimator.train(run)
    except ComponentFailure as exc:
        _plugin_failed(spec, exc)
        status, code = FAILED, EXIT_FAILED
    except PluginError as exc:  # a plugin this job uses failed (it is named): one line
        print(f"harness: error: {exc}", file=sys.stderr, flush=True)
        status, code = FAILED, EXIT_FAILED
    except KeyboardInterrupt:
        status, code = CANCELED, EXIT_INTERRUPTED
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        status = COMPLETED if code == 0 else FAILED
    except BaseException as exc:
        traceback.print_exc()
        job_error.write(spec.spec_path.parent, exc)  # the driver shows its line
        status, code = FAILED, EXIT_FAILED
    finally:
        run.close(status)
    if run.lost_writes is not None and code == 0:  # a full disk ate metrics: Failed
        print(
            f"harness: error: {run.lost_events} metric events lost: {run.lost_writes}",
            file=sys.stderr,
        )
        code = EXIT_FAILED
    return code


def _plugin_failed(spec: JobSpec, failure: ComponentFailure) -> None:
    """A bug in the code of a plugin the job uses: one line on stderr (the terminal
    and the run's error), the traceback in ``logs/plugin_error.txt`` only."""
    job_error.keep_traceback(spec.logs_dir, str(failure), failure.cause)
    print(f"harness: error: {failure}", file=sys.stderr, flush=True)


#: What every job imports on its way (the run's config, store, metrics and registry),
#: imported ahead by a job process started before its job (an early worker, a fork
#: server) so that the job does not wait for it.
JOB_MODULES = (
    "omegaconf",
    "concurrent.futures.thread",
    "harness.run.store",
    "harness.run.metrics",
    "harness.run.record",
    "harness.storage.model_registry",
)


def preload(estimator: str) -> None:
    """Import what a job of ``estimator`` will import: the plugins, the job's
    modules and what the estimator's ``preload`` names (its errors are the job's to
    report)."""
    import importlib

    from harness.contract.manager import get_plugin_manager

    with contextlib.suppress(Exception):
        for module in JOB_MODULES:
            importlib.import_module(module)
        chosen: Any = get_plugin_manager().get("estimator", estimator)
        chosen.preload()


def wait_for_job(estimator: str, control: int) -> str | None:
    """``--early ESTIMATOR FD``: started before the driver composed the config
    (``harness.contract.early_worker``). Import what the job will import, then wait for
    the driver's line ``{"spec": JOB_SPEC, "cwd": WORKDIR}`` on the pipe ``FD``;
    None if the pipe closes without one."""
    os.environ.setdefault(envvars.QUIET_PLUGINS, "1")
    preload(estimator)
    with os.fdopen(control, "rb") as pipe:
        line = pipe.readline()
    if not line:
        return None
    job = json.loads(line)
    started_in = os.getcwd()
    os.chdir(job["cwd"])
    if sys.path and sys.path[0] == started_in:  # `python -m` put the start folder first
        sys.path[0] = job["cwd"]
    sys.argv[1:] = [job["spec"]]
    return str(job["spec"])


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def exit_now(code: int) -> None:
    """End the job process without the interpreter's teardown.

    Once the run is closed nothing is left to do but Python's own finalisation,
    which garbage-collects every module: 1-2 s after a torch job (measured: the
    status line came 1.03 s after the last epoch on a quiet 2-core machine), all of
    it on the run's critical path. What a normal exit does that matters still
    happens: non-daemon threads are joined, atexit handlers run (mpi4py's
    MPI_Finalize, multiprocessing's worker clean-up, a library's own), and the
    standard streams are flushed. See ``finish`` for when it is used.
    """
    main_thread = threading.main_thread()
    for thread in threading.enumerate():
        if thread is not main_thread and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    # mpi4py finalises MPI at interpreter exit, not through atexit: without this,
    # mpiexec reports a rank that "exited without calling finalize". Used only if
    # the job already imported it (the core never imports mpi4py).
    mpi = sys.modules.get("mpi4py.MPI")
    if mpi is not None and mpi.Is_initialized() and not mpi.Is_finalized():
        mpi.Finalize()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


def finish(code: int) -> None:
    """Leave the job process: fast when it succeeded. A failure takes Python's
    normal exit, so that under ``python -m mpi4py`` an error still aborts every rank
    (MPI_Finalize in an atexit handler could wait for ranks stuck in a collective)."""
    if code == 0:
        exit_now(0)
    sys.exit(code)


if __name__ == "__main__":
    finish(main())
