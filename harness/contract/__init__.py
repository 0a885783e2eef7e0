"""The public surface for plugin authors: import what a plugin needs from here.

    from harness.contract import Estimator, hookimpl

    @hookimpl
    def harness_register_estimators(register):
        register("xgboost", XGBoostEstimator)

Everything in ``__all__`` is stable: the hooks' marker and callback types, the four
component base classes, what the driver hands a compute (``JobSpec``) and gets back
(``JobResult``), what an estimator or logger is given (``Run``, ``MetricEvent``,
``RunRecord``), the errors a plugin raises, and the helpers a datastore plugin
builds on. Anything imported from elsewhere in ``harness`` may change without
notice. Names are imported lazily, so ``import harness.contract`` stays cheap.

Modules of the contract itself:

- ``hookspecs``: every ``harness_*`` hook (the single reference);
- ``components``: the base classes a plugin registers and ``JobResult``;
- ``jobspec``: ``job.json``, the only thing that crosses from the driver to a job;
- ``manager``: the plugin manager (pluggy's ``PluginManager``, subclassed), with
  ``guard`` (one guard per hook implementation), ``registration`` (checks of what
  plugins register), ``loading`` (which plugins load, in which order), ``trace``
  (``HARNESS_TRACE_PLUGINS``), ``plugin_info`` and ``config_groups``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.contract.components import Compute, Datastore, Estimator, JobResult, Logger
    from harness.contract.hookspecs import Register, RegisterSchema, hookimpl
    from harness.contract.jobspec import JobSpec
    from harness.datastore.errors import DatastoreError, UnsafePathError
    from harness.datastore.manifest import FileEntry
    from harness.datastore.paths import META_DIR, TEMP_MARK
    from harness.errors import ConfigError, HarnessError, PluginError
    from harness.run.context import Run
    from harness.run.metrics import MetricEvent
    from harness.run.record import CANCELED, COMPLETED, FAILED, RunRecord
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
    "Run": "harness.run.context",
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
}

__all__ = [
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
    "TEMP_MARK",
    "UnsafePathError",
    "atomic_write_bytes",
    "hookimpl",
]
assert sorted(_PUBLIC) == __all__  # one list, kept in step


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'harness.contract' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
