"""harness: the Azure ML v1 estimator workflow without the cloud.

The public API is imported lazily so that ``harness --help`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harness.errors import ConfigError, HarnessError

if TYPE_CHECKING:
    from harness.contract.components import Compute, Datastore, Estimator, JobResult, Logger
    from harness.run.context import Run

__all__ = [
    "Compute",
    "ConfigError",
    "Datastore",
    "Estimator",
    "HarnessError",
    "JobResult",
    "Logger",
    "Run",
    "hookimpl",
]

_LAZY = {
    "Run": "harness.run.context",
    "Estimator": "harness.contract.components",
    "Compute": "harness.contract.components",
    "Logger": "harness.contract.components",
    "Datastore": "harness.contract.components",
    "JobResult": "harness.contract.components",
    "hookimpl": "harness.contract.hookspecs",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'harness' has no attribute {name!r}")
