"""The worker entry point every job process runs: ``python -m harness.worker JOB``.

It rebuilds the run context from the job spec, trains with the estimator the spec
names, and exits 0 (completed), 1 (the job failed) or 130 (interrupted). The
traceback of a failure goes to stderr, which the compute captures into ``logs/``.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback

from harness import envvars
from harness.contract.jobspec import JobSpec
from harness.run.context import Run
from harness.run.record import CANCELED, COMPLETED, FAILED

EXIT_FAILED = 1
EXIT_INTERRUPTED = 130


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
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
        # The chosen compute first (e.g. MPI's communicator), then every plugin's hook.
        manager.get("compute", spec.compute)().worker_start(run)
        manager.pm.hook.harness_worker_start(run=run)
        estimator = manager.get("estimator", spec.estimator)()
        estimator.train(run)
    except KeyboardInterrupt:
        status, code = CANCELED, EXIT_INTERRUPTED
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        status = COMPLETED if code == 0 else FAILED
    except BaseException:
        traceback.print_exc()
        status, code = FAILED, EXIT_FAILED
    finally:
        _log_peak_rss(run)
        run.close(status)
    return code


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _log_peak_rss(run: Run) -> None:
    """``peak_rss_mb``: this process's and its waited-for children's peak RSS (an
    upper bound on the job's peak: the two maxima may not coincide)."""
    try:
        import resource

        kib = (
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        )
        scale = 1024 * 1024 if sys.platform == "darwin" else 1024  # macOS: bytes, Linux: KiB
        run.log("peak_rss_mb", kib / scale)
    except Exception:  # (no resource module on Windows) memory figures are optional
        pass


if __name__ == "__main__":
    sys.exit(main())
