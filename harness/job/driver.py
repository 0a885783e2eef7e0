"""The driver: one ``harness train`` job from composed config to final status.

config → checks → run record (Queued) → job spec → compute (Running) → final
status → after-run hooks. Nothing reaches back up but the exit status and the
primary metric.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from harness.contract.components import Compute, Estimator, JobResult
from harness.contract.jobspec import JobSpec
from harness.contract.manager import HarnessPlugins, get_plugin_manager
from harness.datastore.resolver import take_used as take_datastores_used
from harness.errors import ConfigError, HarnessError
from harness.run import provenance
from harness.run.record import CANCELED, COMPLETED, FAILED, RUNNING, RunRecord
from harness.run.store import RunStore, now_iso
from harness.sweeps import config as sweep_config
from harness.sweeps.watch import watch_job

EXIT_CODES = {COMPLETED: 0, FAILED: 1, CANCELED: 130}


@dataclass
class Outcome:
    record: RunRecord
    exit_code: int
    #: (name, goal, value) of the primary metric; value is None when not logged.
    primary: tuple[str, str, Any]


@dataclass
class _Plan:
    estimator_name: str
    estimator: Estimator
    compute_name: str
    compute: Compute
    loggers: dict[str, dict[str, Any]]
    params: dict[str, Any]


def component_name(cfg: DictConfig, kind: str) -> str:
    node = cfg.get(kind)
    name = node.get("name") if isinstance(node, DictConfig) else None
    if not name:
        raise ConfigError(f"the config has no {kind}.name; choose one with {kind}=NAME")
    return str(name)


def plan(cfg: DictConfig, manager: HarnessPlugins) -> _Plan:
    """Everything that can be checked before a run record exists (exit 2 on a mistake)."""
    estimator_name = component_name(cfg, "estimator")
    estimator = manager.get("estimator", estimator_name)()
    compute_name = component_name(cfg, "compute")
    compute = manager.get("compute", compute_name)()
    logger_node = cfg.get("logger") or {}
    loggers: dict[str, dict[str, Any]] = {}
    for name in logger_node:
        manager.get("logger", str(name))  # unknown logger → clear error now
        options = (
            OmegaConf.to_container(logger_node[name], resolve=True) if logger_node[name] else {}
        )
        loggers[str(name)] = options or {}  # type: ignore[assignment]
    try:
        params = OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
    except HarnessError:
        raise
    except OmegaConfBaseException as exc:
        cause = _harness_cause(exc)  # e.g. a ${datastore:...} path that does not exist
        if cause is not None:
            raise cause from None
        raise ConfigError(f"cannot resolve the config: {str(exc).splitlines()[0]}") from None
    estimator.validate(cfg)
    compute.validate(cfg)
    return _Plan(estimator_name, estimator, compute_name, compute, loggers, params)  # type: ignore[arg-type]


def run_job(
    cfg: DictConfig, overrides: list[str], argv: list[str], sweep_id: str | None = None
) -> Outcome:
    # A run started inside a sweep (e.g. a `harness bench` cell) joins it.
    sweep_id = sweep_id or os.environ.get("HARNESS_SWEEP_ID") or None
    manager = get_plugin_manager()
    take_datastores_used()  # forget resolutions of an earlier job in this process
    job = plan(cfg, manager)
    name, goal = sweep_config.primary(cfg, job.estimator)
    source_dir = Path(str(cfg.estimator.get("source_directory") or os.getcwd())).resolve()
    store = RunStore()
    record = store.create(
        experiment=str(cfg.experiment),
        estimator=job.estimator_name,
        compute=job.compute_name,
        params=job.params,
        overrides=list(overrides),
        tags={str(k): str(v) for k, v in (cfg.get("tags") or {}).items()},
        provenance=_with_datastores(provenance.collect(source_dir, job.estimator.packages, argv)),
        sweep_id=sweep_id,
    )
    assert record.path is not None
    spec = JobSpec(
        run_id=record.id,
        run_dir=str(record.path),
        experiment=record.experiment,
        estimator=job.estimator_name,
        compute=job.compute_name,
        params=job.params,
        loggers=job.loggers,
        workdir=str(record.path),
        sweep_id=sweep_id,
    )
    spec.save()
    _call_hook(manager, "harness_before_run", record=record)
    print(f"run id: {record.id}", flush=True)
    store.set_status(
        record.id, RUNNING, started=now_iso(), pid=os.getpid(), host=socket.gethostname()
    )
    # In a sweep the watch links the run and may stop it early (harness/sweeps/watch.py).
    with watch_job(cfg, record, sweep_id, name, goal) as watch, _sigterm_cancels():
        try:
            job.estimator.prepare(cfg, spec)
            result = job.compute.launch(spec)
        except KeyboardInterrupt:
            result = JobResult(
                exit_code=EXIT_CODES[CANCELED], canceled=True, error="interrupted (Ctrl-C)"
            )
        except BaseException as exc:
            store.set_status(record.id, FAILED, error=f"{type(exc).__name__}: {exc}")
            raise
    if result.canceled and watch.stop_reason:
        result.error = watch.stop_reason
    # A cancel wins over the exit code: some libraries (sklearn's MLP) swallow the
    # interrupt and return normally, but the user still stopped the run.
    status = CANCELED if result.canceled else COMPLETED if result.exit_code == 0 else FAILED
    error = None if status == COMPLETED else (result.error or _last_error_line(spec.logs_dir))
    record = store.set_status(record.id, status, error=error, world_size=result.world_size)
    if status == FAILED:
        _call_hook(manager, "harness_on_run_error", record=record, error=error or "")
    _call_hook(manager, "harness_after_run", record=record, status=status)
    return Outcome(record, EXIT_CODES[status], (name, goal, record.metrics.get(name)))


@contextlib.contextmanager
def _sigterm_cancels() -> Iterator[None]:
    """SIGTERM (``harness runs cancel``, ``run.cancel()``) cancels the run from the moment
    it is Running, also before the compute has launched the job (``supervise``
    handles it from then on): the default action would kill the driver and lose
    the final status."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _harness_cause(exc: BaseException) -> HarnessError | None:
    """The HarnessError a resolver raised, which OmegaConf wraps in its own error."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, HarnessError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _with_datastores(collected: dict[str, Any]) -> dict[str, Any]:
    """Add the datastore paths that ``${datastore:...}`` resolved for this job."""
    used = take_datastores_used()
    if used:
        collected["datastores"] = used
    return collected


def _call_hook(manager: HarnessPlugins, hook: str, **kwargs: Any) -> None:
    try:
        getattr(manager.pm.hook, hook)(**kwargs)
    except Exception as exc:  # a plugin's hook must not lose the run
        print(f"harness: warning: a plugin failed in {hook}: {exc}", file=sys.stderr)


def _last_error_line(logs_dir: Path) -> str | None:
    """The last non-blank line of the job's stderr: usually the exception."""
    for name in ("stderr.txt", "rank_0.txt"):
        path = logs_dir / name
        if path.is_file():
            lines = [
                ln.strip() for ln in path.read_text(errors="replace").splitlines() if ln.strip()
            ]
            if lines:
                return lines[-1][:500]
    return None
