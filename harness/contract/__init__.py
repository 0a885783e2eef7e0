"""The public surface for plugin authors: import what a plugin needs from here.

    from harness.contract import Estimator, hookimpl

    @hookimpl
    def harness_register_estimators(register):
        register("xgboost", XGBoostEstimator)

Everything in ``__all__`` is stable: the hooks' marker and callback types, the four
component base classes, what the driver hands a compute (``JobSpec``) and gets back
(``JobResult``), what an estimator or logger is given (``Run``, ``MetricEvent``,
``RunRecord``), the errors a plugin raises, the helpers a datastore plugin builds
on, the compute toolkit (``run_supervised`` and the rest of ``compute_kit``), and
what a hook may do with runs (``records``). Anything imported from elsewhere in
``harness`` may change without notice. Names are imported lazily, so ``import
harness.contract`` stays cheap.

The modules of the contract:

- ``hookspecs``: every ``harness_*`` hook (the single reference);
- ``components``: the base classes a plugin registers (Estimator, Compute, Logger,
  Datastore) and ``JobResult``; ``datastore``: the Datastore base and its kit;
- ``jobspec``: ``job.json``, the only thing that crosses from the driver to a job;
- ``context``: the run a job logs through (``Run.get_context()``);
- ``compute_kit``: what a compute builds on (supervision, the stop and interrupt
  check, the early worker, the rank entry point);
- ``records``, ``files``, ``envvars``, ``compat``: run records a plugin may read and
  annotate, atomic workspace writes, environment variable names, script paths;
- ``background``: ``BackgroundSink``, a bounded queue and thread that keeps a
  logger's slow writes off the job's path (public for third-party loggers);
- ``manager``: the plugin manager (pluggy's ``PluginManager``, subclassed), with
  ``guard`` (one guard per hook implementation), ``registration`` (checks of what
  plugins register), ``loading`` (which plugins load, in which order), ``trace``
  (``HARNESS_TRACE_PLUGINS``), ``component_table``, ``config_hooks``,
  ``plugin_info`` and ``config_groups``.

Built-in plugins import nothing else of the core (an import contract checks it).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.contract.components import Compute, Datastore, Estimator, JobResult, Logger
    from harness.contract.compute_kit import (
        Supervised,
        check_interrupted,
        handle_interrupts,
        job_environment,
        run_supervised,
        stop_requested,
        take_early_worker,
        worker_command,
    )
    from harness.contract.context import Run
    from harness.contract.files import atomic_write_json, harness_home
    from harness.contract.hookspecs import Register, RegisterSchema, hookimpl
    from harness.contract.jobspec import JobSpec
    from harness.contract.records import get_run, set_run_tags, update_run_extra
    from harness.datastore.errors import DatastoreError, UnsafePathError
    from harness.datastore.manifest import FileEntry
    from harness.datastore.paths import META_DIR, TEMP_MARK
    from harness.errors import ConfigError, HarnessError, PluginError
    from harness.run.metrics import MetricEvent
    from harness.run.record import CANCELED, COMPLETED, FAILED, RunRecord
    from harness.storage.locks import file_lock
    from harness.storage.workspace import atomic_write_bytes

#: name → the module that defines it.
_PUBLIC: dict[str, str] = {
    # hooks
    "hookimpl": "harness.contract.hookspecs",
    "Register": "harness.contract.hookspecs",
    "RegisterSchema": "harness.contract.hookspecs",
    # components
    "Estimator": "harness.contract.components",
    "Compute": "harness.contract.components",
    "Logger": "harness.contract.components",
    "Datastore": "harness.contract.components",
    "JobResult": "harness.contract.components",
    "JobSpec": "harness.contract.jobspec",
    # what components are given
    "Run": "harness.contract.context",
    "MetricEvent": "harness.run.metrics",
    "RunRecord": "harness.run.record",
    "COMPLETED": "harness.run.record",
    "FAILED": "harness.run.record",
    "CANCELED": "harness.run.record",
    # errors: one line, exit 2
    "HarnessError": "harness.errors",
    "ConfigError": "harness.errors",
    "PluginError": "harness.errors",
    "DatastoreError": "harness.datastore.errors",
    "UnsafePathError": "harness.datastore.errors",
    # what a datastore plugin builds on (the scaffold's datastore uses these)
    "FileEntry": "harness.datastore.manifest",
    "META_DIR": "harness.datastore.paths",
    "TEMP_MARK": "harness.datastore.paths",
    "atomic_write_bytes": "harness.storage.workspace",
    "file_lock": "harness.storage.locks",
    "atomic_write_json": "harness.contract.files",
    "harness_home": "harness.contract.files",
    # what hooks may do with runs (harness.contract.records has more)
    "get_run": "harness.contract.records",
    "set_run_tags": "harness.contract.records",
    "update_run_extra": "harness.contract.records",
    # the compute toolkit (harness.contract.compute_kit has the rank tools too)
    "run_supervised": "harness.contract.compute_kit",
    "Supervised": "harness.contract.compute_kit",
    "job_environment": "harness.contract.compute_kit",
    "worker_command": "harness.contract.compute_kit",
    "take_early_worker": "harness.contract.compute_kit",
    "handle_interrupts": "harness.contract.compute_kit",
    "check_interrupted": "harness.contract.compute_kit",
    "stop_requested": "harness.contract.compute_kit",
    # a logger's slow store, off the job's path
    "BackgroundSink": "harness.contract.background",
}

__all__ = [
    "BackgroundSink",
    "CANCELED",
    "COMPLETED",
    "Compute",
    "ConfigError",
    "Datastore",
    "DatastoreError",
    "Estimator",
    "FAILED",
    "FileEntry",
    "HarnessError",
    "JobResult",
    "JobSpec",
    "Logger",
    "META_DIR",
    "MetricEvent",
    "PluginError",
    "Register",
    "RegisterSchema",
    "Run",
    "RunRecord",
    "Supervised",
    "TEMP_MARK",
    "UnsafePathError",
    "atomic_write_bytes",
    "atomic_write_json",
    "check_interrupted",
    "file_lock",
    "get_run",
    "handle_interrupts",
    "harness_home",
    "hookimpl",
    "job_environment",
    "run_supervised",
    "set_run_tags",
    "stop_requested",
    "take_early_worker",
    "update_run_extra",
    "worker_command",
]
assert sorted(_PUBLIC) == __all__  # one list, kept in step


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'harness.contract' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
