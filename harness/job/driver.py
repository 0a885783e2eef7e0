"""The driver: one ``harness train`` job from composed config to final status.

config → checks → run record (Queued) → job spec → compute (Running) → final
status → after-run hooks. Nothing reaches back up but the exit status and the
primary metric.

The driver knows nothing of sweeps: a layer on top (``harness.sweeps``) passes in
what it adds to a run: the sweep id, a ``watch`` that may stop the job early, and
how to pick the primary metric.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from harness.contract import early_worker, interrupts
from harness.contract.components import ESTIMATOR_TRAITS, Compute, Estimator, JobResult
from harness.contract.jobspec import CONFIG_ERROR_FILE, JobSpec
from harness.contract.manager import HarnessPlugins, get_plugin_manager
from harness.envs import runtime as envs_runtime
from harness.envs.errors import EnvironmentBuildError
from harness.envs.resolve import ResolvedEnvironment
from harness.errors import ConfigError, HarnessError
from harness.job import config as job_config
from harness.job import session
from harness.run import ownership, provenance
from harness.run.record import CANCELED, COMPLETED, FAILED, RUNNING, RunRecord
from harness.run.resources import TreeMonitor
from harness.run.store import RunStore, now_iso
from harness.storage.workspace import harness_home

EXIT_CODES = {COMPLETED: 0, FAILED: 1, CANCELED: 130}


class RefusedInJob(ConfigError):
    """``Estimator.validate_in_job`` refused the config; the run was discarded.
    ``run_id`` lets a sweep forget the run it had already linked."""

    def __init__(self, message: str, run_id: str) -> None:
        super().__init__(message)
        self.run_id = run_id


@dataclass
class Outcome:
    record: RunRecord
    exit_code: int
    #: (name, goal, value) of the primary metric; value is None when not logged.
    primary: tuple[str, str, Any]


class Watch(Protocol):
    """What a ``watch`` yields while the compute runs: why it stopped the job
    (through the session's ``stop`` event), or None."""

    stop_reason: str | None


#: ``watch(record, metric, goal)`` → a context manager around the compute's launch.
WatchFactory = Callable[[RunRecord, str, str], AbstractContextManager[Watch]]
#: ``primary(config, estimator)`` → (metric, goal) of the run.
PrimaryMetric = Callable[[DictConfig, Estimator], "tuple[str, str]"]


class _NoWatch:
    stop_reason: str | None = None


@contextlib.contextmanager
def no_watch(record: RunRecord, metric: str, goal: str) -> Iterator[Watch]:
    yield _NoWatch()


@dataclass
class _Plan:
    estimator_name: str
    estimator: Estimator
    compute_name: str
    compute: Compute
    loggers: dict[str, dict[str, Any]]
    params: dict[str, Any]
    #: ``estimator.environment`` resolved (None: the harness's own interpreter).
    environment: ResolvedEnvironment | None = None


def component_name(cfg: DictConfig, kind: str) -> str:
    node = cfg.get(kind)
    name = node.get("name") if isinstance(node, DictConfig) else None
    if not name:
        nested = node.get(kind) if isinstance(node, DictConfig) else None
        if isinstance(nested, DictConfig) and nested.get("name"):
            # A group file that starts with `estimator:` but lacks the package header
            # lands one level too deep (Hydra puts a group file under its group).
            raise ConfigError(
                f"the config file {kind}/{nested.get('name')}.yaml put its keys under "
                f"{kind}.{kind}: give it the first line '# @package _global_' "
                f"(or drop its top-level '{kind}:' key)"
            )
        raise ConfigError(f"the config has no {kind}.name; choose one with {kind}=NAME")
    return str(name)


def plan(cfg: DictConfig, manager: HarnessPlugins) -> _Plan:
    """Everything that can be checked before a run record exists (exit 2 on a mistake)."""
    estimator_name = component_name(cfg, "estimator")
    job_config.check_unknown_keys(cfg)  # `+compute.timeuot=5`: a typo Hydra let through
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
        # enum_to_str: job.json and run.json hold an Enum option as its name ("adam").
        params = OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True, enum_to_str=True)
    except HarnessError:
        raise
    except OmegaConfBaseException as exc:
        cause = _harness_cause(exc)  # e.g. a ${datastore:...} path that does not exist
        if cause is not None:
            raise cause from None
        raise ConfigError(f"cannot resolve the config: {str(exc).splitlines()[0]}") from None
    estimator.validate(cfg)
    compute.validate(cfg)
    environment = envs_runtime.for_config(cfg, harness_home())  # a bad spec: exit 2 here
    return _Plan(estimator_name, estimator, compute_name, compute, loggers, params, environment)  # type: ignore[arg-type]


def run_job(
    cfg: DictConfig,
    overrides: list[str],
    argv: list[str] | None = None,
    *,
    sweep_id: str | None = None,
    watch: WatchFactory | None = None,
    primary: PrimaryMetric | None = None,
) -> Outcome:
    """Run one job from its composed config to its final status.

    ``overrides`` are recorded as typed; ``argv`` is the command line for the
    provenance (default: the session's). The sweep layer passes ``sweep_id``,
    ``watch`` and ``primary``; a plain run leaves them out.
    """
    interrupts.check()  # no new run after a Ctrl-C, even one Python swallowed
    current = session.ensure()
    argv = current.argv if argv is None else argv
    manager = get_plugin_manager()
    current.take_datastores()  # forget resolutions of an earlier job in this process
    job = plan(cfg, manager)
    name, goal = (primary or _estimator_primary)(cfg, job.estimator)
    source_dir = Path(str(cfg.estimator.get("source_directory") or os.getcwd())).resolve()
    store = RunStore()
    record = store.create(
        experiment=str(cfg.experiment),
        estimator=job.estimator_name,
        compute=job.compute_name,
        params=job.params,
        overrides=list(overrides),
        tags={str(k): str(v) for k, v in (cfg.get("tags") or {}).items()},
        provenance=_with_environment(
            _with_plugins(
                _with_datastores(
                    provenance.collect(source_dir, job.estimator.packages, argv), current
                ),
                manager,
                job,
            ),
            job.environment,
        ),
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
        estimator_traits={t: bool(getattr(job.estimator, t)) for t in ESTIMATOR_TRAITS},
    )
    monitor = TreeMonitor(record.path)  # system figures and metrics of the job's processes
    marker: int | None = None
    job_watch: Any = None
    try:
        spec.save()
        _call_hook(manager, "harness_before_run", record=record)
        print(f"run id: {record.id}", flush=True)
        marker = ownership.claim(record.path)  # held open until the run ends
        store.set_status(
            record.id,
            RUNNING,
            started=now_iso(),
            pid=os.getpid(),
            pid_start=ownership.start_ticks(os.getpid()),
            host=socket.gethostname(),
        )
        # In a sweep the watch links the run and may stop it early (harness/sweeps/watch.py).
        with (watch or no_watch)(record, name, goal) as job_watch, interrupts.recorded():
            try:
                if job.environment is not None:
                    _prepare_environment(store, record.id, job.environment, spec)
                job.estimator.prepare(cfg, spec)
                if not job.compute.takes_early_worker:
                    early_worker.dismiss()  # idle through someone else's launch otherwise
                with monitor:
                    launched = job.compute.launch(spec)
                result = _checked_result(launched, manager, job.compute_name)
            except EnvironmentBuildError as exc:  # the run needed it: Failed, exit 1
                print(f"harness: error: {exc}", file=sys.stderr, flush=True)
                result = JobResult(exit_code=EXIT_CODES[FAILED], error=str(exc))
            except KeyboardInterrupt:
                result = JobResult(
                    exit_code=EXIT_CODES[CANCELED], canceled=True, error="interrupted (Ctrl-C)"
                )
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    store.set_status(record.id, FAILED, error=f"{type(exc).__name__}: {exc}")
                    raise
                where = exc.filename or record.path
                result = JobResult(exit_code=1, error=f"no space left on device ({where})")
            except BaseException as exc:
                store.set_status(record.id, FAILED, error=f"{type(exc).__name__}: {exc}")
                raise
    except KeyboardInterrupt:
        # Ctrl-C after the record was made but before (or around) the launch: the
        # run still ends Canceled, never stays Queued or Running.
        result = JobResult(
            exit_code=EXIT_CODES[CANCELED], canceled=True, error="interrupted (Ctrl-C)"
        )
    finally:
        if marker is not None:
            ownership.release(marker)
    refused = _config_error(spec)
    if refused is not None:
        # The job's own check (Estimator.validate_in_job) refused the config: a
        # user's mistake like any other, so no Failed run is left behind.
        store.delete(record.id, force=True)
        raise RefusedInJob(refused, record.id)
    if result.canceled and job_watch is not None and job_watch.stop_reason:
        result.error = job_watch.stop_reason
    # A cancel wins over the exit code: some libraries (sklearn's MLP) swallow the
    # interrupt and return normally, but the user still stopped the run.
    status = CANCELED if result.canceled else COMPLETED if result.exit_code == 0 else FAILED
    error = None
    if status != COMPLETED:
        error = result.error or _last_error_line(spec, result)
        if error is None or (result.exit_code < 0 and not result.error):
            from harness.contract.supervise import describe_exit

            killed = describe_exit(result.exit_code)  # a signal leaves no traceback
            error = killed if error is None else f"{killed}; last output: {error}"
        from harness.contract.supervise import no_space_reason

        error = no_space_reason(error) or error  # ENOSPC anywhere reads the same
    record = store.set_status(
        record.id, status, error=error, world_size=result.world_size, system=monitor.figures()
    )
    if status == FAILED:
        _call_hook(manager, "harness_on_run_error", record=record, error=error or "")
    _call_hook(manager, "harness_after_run", record=record, status=status)
    return Outcome(record, EXIT_CODES[status], (name, goal, record.metrics.get(name)))


def _harness_cause(exc: BaseException) -> HarnessError | None:
    """The HarnessError a resolver raised, which OmegaConf wraps in its own error."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, HarnessError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _with_plugins(collected: dict[str, Any], manager: HarnessPlugins, job: _Plan) -> dict[str, Any]:
    """Which plugin, distribution and version supplied each component of the run."""
    datastore_types = sorted(
        {str(d["type"]) for d in collected.get("datastores", []) if "type" in d}
    )
    collected["plugins"] = {
        "estimator": manager.origin("estimator", job.estimator_name),
        "compute": manager.origin("compute", job.compute_name),
        "loggers": {name: manager.origin("logger", name) for name in job.loggers},
        "datastores": {kind: manager.origin("datastore", kind) for kind in datastore_types},
    }
    return collected


def _estimator_primary(cfg: DictConfig, estimator: Estimator) -> tuple[str, str]:
    return estimator.primary(cfg)


def _with_datastores(collected: dict[str, Any], current: session.Session) -> dict[str, Any]:
    """Add the datastore paths that ``${datastore:...}`` resolved for this job."""
    used = current.take_datastores()
    if used:
        collected["datastores"] = used
    return collected


def _with_environment(
    collected: dict[str, Any], environment: ResolvedEnvironment | None
) -> dict[str, Any]:
    if environment is not None:
        collected["environment"] = environment.summary()
    return collected


def _prepare_environment(
    store: RunStore, run_id: str, environment: ResolvedEnvironment, spec: JobSpec
) -> None:
    """Build or reuse the run's environment; record what it holds (uv pip freeze)."""
    built = envs_runtime.prepare_run(environment, spec, harness_home())
    details = built.provenance()

    def record_environment(record: RunRecord) -> None:
        record.provenance["environment"] = details

    store.update(run_id, record_environment)


def _call_hook(manager: HarnessPlugins, hook: str, **kwargs: Any) -> None:
    """Call each plugin's implementation on its own, so one that raises is named
    (plugin and distribution) and the others still run."""
    for impl in reversed(getattr(manager.pm.hook, hook).get_hookimpls()):
        try:
            impl.function(**{arg: kwargs[arg] for arg in impl.argnames})
        except Exception as exc:  # a plugin's hook must not lose the run
            print(
                f"harness: warning: {manager.where(impl.plugin_name)} failed in {hook}: "
                f"{type(exc).__name__}: {exc}",
                file=sys.stderr,
            )


def _config_error(spec: JobSpec) -> str | None:
    path = spec.spec_path.parent / CONFIG_ERROR_FILE
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def _checked_result(result: Any, manager: HarnessPlugins, compute: str) -> JobResult:
    """The compute's result, or a failed one naming the plugin that broke the contract
    (a wrong type used to crash the driver and leave the run ``Running``)."""
    problem = None
    if not isinstance(result, JobResult):
        problem = f"returned {type(result).__name__} {result!r:.80}, not a JobResult"
    elif not isinstance(result.exit_code, int) or isinstance(result.exit_code, bool):
        problem = f"returned a JobResult whose exit_code is {result.exit_code!r}, not an int"
    if problem is None:
        return result
    message = (
        f"compute '{compute}' of {manager.describe('compute', compute)} broke the plugin "
        f"contract: Compute.launch {problem}"
    )
    print(f"harness: error: {message}", file=sys.stderr)
    return JobResult(exit_code=EXIT_CODES[FAILED], error=message)


def _last_error_line(spec: JobSpec, result: JobResult) -> str | None:
    """The last non-blank line of the log the compute names (default: the job's
    stderr): usually the exception."""
    path = Path(result.error_log) if result.error_log else spec.logs_dir / "stderr.txt"
    if path.is_file():
        lines = [ln.strip() for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
        if lines:
            return lines[-1][:500]
    return None
