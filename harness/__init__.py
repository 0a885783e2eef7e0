"""harness: the Azure ML v1 estimator workflow without the cloud.

The public API is imported lazily so that ``harness --help`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harness.errors import ConfigError, HarnessError

if TYPE_CHECKING:
    from harness.contract.components import Compute, Datastore, Estimator, JobResult, Logger
    from harness.envs.environment import Environment
    from harness.sdk.run_context import Run
    from harness.ui.widget import RunDetails

#: The Python API (harness/sdk): what notebooks use and the CLI calls.
_SDK = (
    "Workspace",
    "Experiment",
    "ScriptRunConfig",
    "EstimatorConfig",
    "MpiConfiguration",
    "SweepConfig",
    "SweepRun",
    "GridSampling",
    "RandomSampling",
    "BayesianSampling",
    "BanditPolicy",
    "MedianStoppingPolicy",
    "TruncationSelectionPolicy",
    "NoTerminationPolicy",
    "PrimaryMetricGoal",
    "Model",
    "Dataset",
    "DataReference",
    "RunFailedError",
    "SubmitError",
    "choice",
    "uniform",
    "loguniform",
    "quniform",
    "randint",
    "compare_runs",
    "plot_runs",
    "list_plugins",
    "show_plugin",
    "new_plugin",
    "list_bench_suites",
    "run_bench",
    "compare_bench",
    "get_datastore",
    "list_datastores",
    "register_datastore",
    "unregister_datastore",
    "list_runs",
    "list_sweeps",
    "list_models",
    "check_workspace",
    "Webservice",
    "deploy",
    "list_services",
)

__all__ = [
    "Compute",
    "ConfigError",
    "Datastore",
    "Environment",
    "Estimator",
    "HarnessError",
    "JobResult",
    "Logger",
    "Run",
    "RunDetails",
    "hookimpl",
    *_SDK,
]

_LAZY = {
    **{name: "harness.sdk" for name in _SDK},
    "Run": "harness.sdk.run_context",
    "RunDetails": "harness.ui.widget",
    "Estimator": "harness.contract.components",
    "Compute": "harness.contract.components",
    "Logger": "harness.contract.components",
    "Datastore": "harness.contract.components",
    "JobResult": "harness.contract.components",
    "Environment": "harness.envs.environment",
    "hookimpl": "harness.contract.hookspecs",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'harness' has no attribute {name!r}")
