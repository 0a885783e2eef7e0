"""The run context: the API a job (an estimator or a user's script) logs through.

``Run.get_context()`` returns the live run inside a harness job and an offline run
elsewhere, like Azure ML's ``Run.get_context()``. Estimators and loggers get this
object; ``harness.Run`` (``harness.sdk.run_context``) is this class plus
``Run.get(run_id)``, the handle on any run of the workspace. Logging is buffered: ``run.log``
appends to memory, and a background thread flushes batches to this process's
metrics file and to the active loggers, so a tight loop can log freely.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import operator
import os
import re
import shutil
import signal
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, ClassVar, NoReturn, TypeVar

from harness import envvars
from harness.contract.jobspec import JobSpec
from harness.run.metrics import MetricBatch, MetricEvent, append_events, writer_path
from harness.run.progress import ProgressRelay
from harness.run.record import CANCELED, COMPLETED, FAILED

__all__ = ["MetricEvent", "OfflineRun", "Run"]

T = TypeVar("T")


def _plain(value: Any) -> Any:
    """Numbers from numpy/torch (anything with __float__) become plain floats."""
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):  # log_table columns, log_row lists
        return [_plain(v) for v in value]
    if hasattr(value, "item"):
        return value.item()
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


@contextlib.contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """SIGINT and SIGTERM are noted, not raised, in the block (main thread only; the
    process is closing anyway, and a supervisor escalates to SIGKILL if it hangs)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    noted: list[int] = []
    previous = {
        sig: signal.signal(sig, lambda signum, frame: noted.append(signum))
        for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _checked(name: Any, step: Any) -> int | None:
    """``run.log``'s name and step, refused at the call when wrong: a metrics line
    with ``"step": "abc"`` would be dropped by every reader, the point lost."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"run.log: the metric name must be a non-empty str, not {name!r:.60}")
    if step is None or step.__class__ is int:
        return step
    try:
        if isinstance(step, bool):
            raise TypeError
        return operator.index(step)  # numpy's and torch's integers too
    except TypeError:
        raise TypeError(
            f"run.log({name!r}, ...): step must be an int (or None for the next one), "
            f"not {step!r:.60}"
        ) from None


def _import_what_shutdown_refuses() -> None:
    """Import now, while the process is alive, what cannot be imported while it exits.

    Loggers start on first use, on the flush thread, and a process that logs and
    exits soon after (a child of the user's script, a short job) is still starting
    them, or only starts them in ``close`` at exit. By then Python has begun its
    shutdown and refuses ``threading._register_atexit``, which the standard
    library's ``concurrent.futures.thread`` calls when it is first imported, and
    MLflow imports ``ThreadPoolExecutor`` on its way in: the logger failed with
    "can't register atexit after shutdown" and the process's metrics never reached
    MLflow. Once imported here, that import is a dictionary look-up at exit.
    """
    import concurrent.futures.thread  # noqa: F401


class Run:
    """The live run of a harness job."""

    #: A buffer this full wakes the flush thread (the caller does not wait for it).
    FLUSH_EVERY_EVENTS: ClassVar[int] = 20_000
    #: Only a buffer this full makes the caller flush itself: the flush thread is
    #: stuck (a slow disk, a logger without a background sink), memory must stay bounded.
    FLUSH_INLINE_EVENTS: ClassVar[int] = 2_000_000
    FLUSH_INTERVAL_S: ClassVar[float] = 1.0
    #: Least time between two flushes that a report of a prompt metric asked for
    #: (``JobSpec.prompt_metrics``): a metric logged thousands of times a second
    #: costs at most this many file appends a second.
    PROMPT_GAP_S: ClassVar[float] = 0.02
    _current: ClassVar[Run | None] = None

    is_offline = False

    def __init__(self, spec: JobSpec) -> None:
        from omegaconf import OmegaConf

        self.spec = spec
        self.id = spec.run_id
        self.experiment = spec.experiment
        self.run_dir = Path(spec.run_dir)
        self.outputs_dir = self.run_dir / "outputs"
        self.logs_dir = self.run_dir / "logs"
        self.rank = envvars.rank()
        self.world_size = envvars.first_int(envvars.SIZE_VARS, 1)
        self.local_rank = envvars.first_int(envvars.LOCAL_RANK_VARS, 0)
        #: The MPI communicator, set by the mpi compute plugin's worker hook.
        self.comm: Any = None
        params = OmegaConf.create(spec.params)
        OmegaConf.set_readonly(params, True)
        self.params = params
        self._records = self.rank == 0 or spec.per_rank_metrics
        self._metrics_path = writer_path(self.run_dir, self.rank)
        self._steps: dict[str, int] = {}
        #: Metrics a sweep's policy reads while the job runs: written at once.
        self._prompt = frozenset(spec.prompt_metrics)
        # deque.append/popleft are atomic, so the hot path takes no lock.
        self._buffer: collections.deque[tuple[str, Any, int, float]] = collections.deque()
        self._flush_lock = threading.RLock()
        self._loggers: dict[str, Any] | None = None
        self._closed = False
        self._failed_by_exception = False
        #: Why metrics were lost (the first write that failed), else None.
        self.lost_writes: str | None = None
        self._lost_events = 0
        #: Logger name → "plugin 'x' (dist version)", for messages about it.
        self._logger_origin: dict[str, str] = {}
        if self._records and self.rank == 0 and spec.loggers:
            _import_what_shutdown_refuses()
        self._progress = ProgressRelay(lambda *update: self._notify("progress", *update))
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._flusher = threading.Thread(target=self._flush_loop, name="harness-flush", daemon=True)
        self._flusher.start()
        atexit.register(self._close_at_exit)
        self._interrupted = False
        self._hear_uncaught_exceptions()
        self._flush_on_sigterm()

    # -- context -------------------------------------------------------------
    @classmethod
    def get_context(cls) -> Run:
        """The current job's run; an offline run when not inside a harness job."""
        # One live run per process, on this class (a subclass shares it).
        if Run._current is None:
            spec_path = os.environ.get(envvars.JOB_SPEC)
            if not spec_path:
                return OfflineRun()
            Run._current = Run(JobSpec.load(spec_path))
        return Run._current

    @property
    def is_main_process(self) -> bool:
        return self.rank == 0

    # -- logging -------------------------------------------------------------
    def log(self, name: str, value: Any, step: int | None = None) -> None:
        """Record one value of metric ``name``; ``step`` defaults to the next index."""
        if name.__class__ is not str or (step is not None and step.__class__ is not int):
            step = _checked(name, step)
        if not self._records:
            return
        if step is None:
            step = self._steps.get(name, -1) + 1
        elif step < 0:
            raise ValueError(f"run.log({name!r}, ...): step {step} is negative; give an int ≥ 0")
        self._steps[name] = step
        if not isinstance(value, (int, float)):
            value = _plain(value)
        buffer = self._buffer
        buffer.append((name, value, step, time.time()))
        if len(buffer) >= self.FLUSH_EVERY_EVENTS:
            if len(buffer) >= self.FLUSH_INLINE_EVENTS:
                self.flush()
            elif not self._wake.is_set():  # once: set() takes a lock on every call
                self._wake.set()
        elif self._prompt and name in self._prompt and not self._wake.is_set():
            self._wake.set()

    def log_list(self, name: str, values: Iterable[Any]) -> None:
        """Record a list of values of ``name`` at steps 0, 1, 2, …"""
        for step, value in enumerate(values):
            self.log(name, value, step=step)

    def log_row(self, name: str, **values: Any) -> None:
        """Record one row of table metric ``name`` (a dict of column → value)."""
        self.log(name, {key: _plain(v) for key, v in values.items()})

    def log_table(self, name: str, value: dict[str, Iterable[Any]]) -> None:
        """Record a table (column → list of values) as one event of metric ``name``."""
        table = {str(col): [_plain(v) for v in values] for col, values in value.items()}
        self.log(name, {"table": table})

    def log_image(
        self,
        name: str,
        path: str | os.PathLike[str] | None = None,
        plot: Any = None,
        description: str = "",
    ) -> None:
        """Record an image: a file (``path``) or a matplotlib figure (``plot``). It is
        copied to ``logs/images/`` and logged as ``{"image": "logs/images/..."}``, so
        it is kept with the run and the dashboard shows it where it was logged."""
        if (path is None) == (plot is None):
            raise ValueError("log_image: give exactly one of path= or plot=")
        if not self._records:
            return
        step = self._steps.get(name, -1) + 1
        suffix = Path(path).suffix.lower() if path is not None else ".png"
        slug = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
        dest = self.logs_dir / "images" / f"{slug}-{step}{suffix or '.png'}"
        dest.parent.mkdir(parents=True, exist_ok=True)
        if path is not None:
            shutil.copyfile(path, dest)
        else:
            figure = getattr(plot, "gcf", lambda: plot)()  # pyplot module or a Figure
            figure.savefig(dest, format="png")
        entry = {"image": dest.relative_to(self.run_dir).as_posix()}
        if description:
            entry["description"] = description
        self.log(name, entry, step=step)

    def set_tags(self, tags: dict[str, Any]) -> None:
        from harness.run.store import RunStore

        if self._records:
            RunStore(self.run_dir.parent.parent).set_tags(self.id, tags)

    def tag(self, key: str, value: Any = "") -> None:
        self.set_tags({key: value})

    def register_model(
        self,
        model_name: str,
        model_path: str,
        tags: dict[str, str] | None = None,
        description: str = "",
    ) -> Any:
        """Register a file this run wrote (e.g. ``outputs/model.joblib``) as the next
        version of ``model_name``; returns the ``harness.storage.model_registry.ModelVersion``."""
        from harness.run.metrics import last_values
        from harness.run.store import RunStore
        from harness.storage.model_registry import ModelRegistry

        self.flush()  # the entry links the metrics logged so far
        home = self.run_dir.parent.parent
        record = RunStore(home).get(self.id)
        return ModelRegistry(home).register(
            model_name,
            record,
            str(model_path),
            metrics=last_values(self.run_dir),
            tags={str(k): str(v) for k, v in (tags or {}).items()},
            description=description,
        )

    def progress(
        self, iterable: Iterable[T], total: int | None = None, description: str = "epoch"
    ) -> Iterator[T]:
        """Yield from ``iterable`` while reporting progress to the loggers."""
        if total is None and hasattr(iterable, "__len__"):
            total = len(iterable)  # type: ignore[arg-type]
        # Handed to the loggers on the relay's thread: a slow one never slows the loop.
        self._progress.put(description, 0, total)
        for done, item in enumerate(iterable, start=1):
            yield item
            self._progress.put(description, done, total)

    # -- flushing ------------------------------------------------------------
    def flush(self) -> None:
        """Write buffered events to this process's metrics file and the loggers."""
        with self._flush_lock:
            buffer = self._buffer
            events = [MetricEvent._make(buffer.popleft()) for _ in range(len(buffer))]
            if not events:
                return
            try:
                start, end = append_events(self._metrics_path, events)
            except OSError as exc:
                self._lose(events, exc)
                return
            # Loggers that fall behind may let go of the events and re-read them there.
            self._notify("log_metrics", MetricBatch(events, self._metrics_path, start, end))

    def _lose(self, batch: list[MetricEvent], exc: OSError) -> None:
        """Metrics that could not be written (a full disk, a quota): said once on
        stderr, counted, and the run ends Failed (``lost_writes``), never Completed
        with a hole in its history."""
        first = self.lost_writes is None
        self._lost_events += len(batch)
        if first:
            self.lost_writes = f"could not write metrics ({exc})"
            print(f"harness: error: {self.lost_writes}; the run will end Failed", file=sys.stderr)

    @property
    def lost_events(self) -> int:
        return self._lost_events

    def _flush_loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.FLUSH_INTERVAL_S)
            self._wake.clear()
            if self._stop.is_set():
                return  # close() flushes the tail itself
            try:
                self.flush()
            except Exception as exc:  # never kill training over a full disk report
                print(f"harness: could not flush metrics: {exc}", file=sys.stderr)
            if self._prompt:
                self._stop.wait(self.PROMPT_GAP_S)

    # -- loggers -------------------------------------------------------------
    def _active_loggers(self) -> dict[str, Any]:
        """Loggers start on first use, so a process that never logs starts none."""
        if self._loggers is None:
            self._loggers = {}
            if not self._records or self.rank != 0:  # per-rank metrics: files only
                return self._loggers
            from harness.contract.manager import get_plugin_manager

            manager = get_plugin_manager()
            for name, options in self.spec.loggers.items():
                self._logger_origin[name] = manager.describe("logger", name)
                try:
                    logger = manager.get("logger", name)(self, dict(options or {}))
                    logger.log_params(self.spec.params)
                except Exception as exc:
                    print(
                        f"harness: warning: logger '{name}' failed to start, skipped "
                        f"({self._logger_origin[name]}): {type(exc).__name__}: {exc}",
                        file=sys.stderr,
                    )
                    continue
                self._loggers[name] = logger
        return self._loggers

    def _notify(self, method: str, *args: Any) -> None:
        with self._flush_lock:
            loggers = self._active_loggers()
            for name, logger in list(loggers.items()):
                try:
                    getattr(logger, method)(*args)
                except Exception as exc:
                    # Reported once, then switched off: a logger never fails the job.
                    print(
                        f"harness: warning: logger '{name}' failed in {method} and is switched "
                        f"off ({self._logger_origin[name]}): {type(exc).__name__}: {exc}",
                        file=sys.stderr,
                    )
                    loggers.pop(name, None)

    # -- closing -------------------------------------------------------------
    def close(self, status: str = COMPLETED, *, discarded: bool = False) -> None:
        """Flush everything and tell the loggers the final status. Idempotent.
        ``discarded``: the run is being removed (its config was refused in the job):
        loggers that never started are not started for it."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        self._wake.set()
        self.flush()
        # The supervisor notes the final status it will record before it stops a job
        # (a timeout is Failed). The job may end any way after that (a library that
        # swallows the interrupt returns normally): the loggers get the run's status.
        from harness.run.record import read_stop_note

        noted = read_stop_note(self.run_dir)
        status = noted if noted in (FAILED, CANCELED) else status
        if self.lost_writes is not None and status == COMPLETED:
            status = FAILED
        self._progress.flush()  # the last progress reaches the loggers before finish
        # Every run reaches its loggers with its final status, also one that logged
        # nothing (a script that failed at once): they start here if they never did.
        # A stop's SIGINT, then SIGTERM, must not cut their finish short (MLflow's
        # final write was lost to a KeyboardInterrupt raised inside it).
        with _interrupts_deferred():
            if self._loggers if discarded else self._active_loggers():
                self._notify("finish", status)
        if Run._current is self:
            Run._current = None

    def _flush_on_sigterm(self) -> None:
        """A process that logs and has no SIGTERM handler of its own (a user's script;
        the worker turns SIGTERM into KeyboardInterrupt itself) would die at once on
        SIGTERM (a cancel, a stop, a killed driver's PDEATHSIG): the last second of
        buffered metrics lost, atexit not run. Flush and close first, then die of the
        same signal, so the exit status still says SIGTERM."""
        if threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
            return

        def close_then_die(signum: int, frame: object) -> None:
            try:
                self.close(CANCELED)
            finally:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                os.kill(os.getpid(), signal.SIGTERM)

        signal.signal(signal.SIGTERM, close_then_die)

    def mark_failed(self) -> None:
        self._failed_by_exception = True

    def _hear_uncaught_exceptions(self) -> None:
        """An exception nothing caught ends this process's run ``Failed`` in its
        loggers (``Canceled`` for Ctrl-C). The at-exit close cannot see it: by then
        Python has printed it and cleared it. This is how a user's script, whose
        loggers live in its own process, reports how it ended."""
        previous = sys.excepthook

        def hook(kind: type[BaseException], value: BaseException, tb: Any) -> None:
            if issubclass(kind, KeyboardInterrupt):
                self._interrupted = True
            else:
                self._failed_by_exception = True
            previous(kind, value, tb)

        sys.excepthook = hook
        # sys.exit(N) raises SystemExit, which reaches no excepthook, and an at-exit
        # function cannot read the exit status: note a failing status on its way out
        # (argparse's error() and most scripts exit through sys.exit).
        previous_exit = sys.exit

        def exit_noting_failure(status: Any = None) -> NoReturn:
            if _failing_exit_status(status):
                self._failed_by_exception = True
            previous_exit(status)

        sys.exit = exit_noting_failure

    def _close_at_exit(self) -> None:
        if self._closed:
            return  # the worker closed it and decides the exit status itself
        exiting = sys.exc_info()[1]
        if isinstance(exiting, SystemExit) and _failing_exit_status(exiting.code):
            self._failed_by_exception = True  # `raise SystemExit(N)` written out
        status = FAILED if self._failed_by_exception else COMPLETED
        if self._interrupted or isinstance(sys.exc_info()[1], KeyboardInterrupt):
            status = CANCELED
        self.close(status)
        if self.lost_writes is not None:
            # A user's script that logged into a full disk: its exit status must say
            # so, or the run would end Completed without those metrics.
            print(
                f"harness: error: {self._lost_events} metric events lost: {self.lost_writes}",
                file=sys.stderr,
                flush=True,
            )
            with contextlib.suppress(OSError, ValueError):
                sys.stdout.flush()
            os._exit(1)


def _failing_exit_status(status: Any) -> bool:
    """Python's rule: None and 0 are success, any other value (an int, a message) fails."""
    return status is not None and status != 0


class OfflineRun(Run):
    """What ``Run.get_context()`` returns outside a harness job: prints, stores nothing."""

    is_offline = True

    def __init__(self) -> None:  # noqa: D107 - deliberately skips the live set-up
        from omegaconf import OmegaConf

        self.id = "offline"
        self.experiment = "offline"
        self.run_dir = Path.cwd()
        self.outputs_dir = Path("outputs")
        self.logs_dir = Path("logs")
        self.rank = envvars.rank()
        self.world_size = envvars.first_int(envvars.SIZE_VARS, 1)
        self.local_rank = envvars.first_int(envvars.LOCAL_RANK_VARS, 0)
        self.comm = None
        self.params = OmegaConf.create({})
        self._steps = {}

    def log(self, name: str, value: Any, step: int | None = None) -> None:
        step = _checked(name, step)
        print(
            f"[offline run] {name}: {_plain(value)}"
            + (f" (step {step})" if step is not None else "")
        )

    def log_image(
        self,
        name: str,
        path: str | os.PathLike[str] | None = None,
        plot: Any = None,
        description: str = "",
    ) -> None:
        print(f"[offline run] image {name}: {path if path is not None else 'a plot'}")

    def set_tags(self, tags: dict[str, Any]) -> None:
        print(f"[offline run] tags: {tags}")

    def progress(
        self, iterable: Iterable[T], total: int | None = None, description: str = "epoch"
    ) -> Iterator[T]:
        yield from iterable

    def flush(self) -> None:
        pass

    def close(self, status: str = COMPLETED, *, discarded: bool = False) -> None:
        pass
