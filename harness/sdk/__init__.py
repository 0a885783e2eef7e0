"""The Python API: what a notebook uses, and what the CLI's commands call.

``from harness import Workspace, Experiment, ScriptRunConfig, EstimatorConfig, ...``
Names load lazily, so importing ``harness`` stays fast. See docs/python-api.md.
"""

from __future__ import annotations

import importlib
from typing import Any

_NAMES = {
    "Workspace": "harness.sdk.workspace",
    "Experiment": "harness.sdk.experiment",
    "Run": "harness.sdk.run",
    "RunFailedError": "harness.sdk.run",
    "Model": "harness.sdk.model",
    "Dataset": "harness.sdk.data",
    "DataReference": "harness.sdk.data",
    "ScriptRunConfig": "harness.sdk.configs",
    "EstimatorConfig": "harness.sdk.configs",
    "MpiConfiguration": "harness.sdk.configs",
    "SubmitError": "harness.sdk.submit",
    "SweepConfig": "harness.sdk.sweep",
    "SweepRun": "harness.sdk.sweep",
    "GridSampling": "harness.sdk.sweep",
    "RandomSampling": "harness.sdk.sweep",
    "BayesianSampling": "harness.sdk.sweep",
    "BanditPolicy": "harness.sdk.sweep",
    "MedianStoppingPolicy": "harness.sdk.sweep",
    "TruncationSelectionPolicy": "harness.sdk.sweep",
    "NoTerminationPolicy": "harness.sdk.sweep",
    "PrimaryMetricGoal": "harness.sdk.sweep",
    "choice": "harness.sdk.sweep",
    "uniform": "harness.sdk.sweep",
    "loguniform": "harness.sdk.sweep",
    "quniform": "harness.sdk.sweep",
    "randint": "harness.sdk.sweep",
    "normal": "harness.sdk.sweep",
    # What the other CLI commands do, as the functions those commands call.
    "compare_runs": "harness.sdk.compare",
    "plot_runs": "harness.sdk.compare",
    "list_plugins": "harness.sdk.plugins",
    "show_plugin": "harness.sdk.plugins",
    "new_plugin": "harness.sdk.plugins",
    "list_bench_suites": "harness.sdk.bench",
    "run_bench": "harness.sdk.bench",
    "compare_bench": "harness.sdk.bench",
    "get_datastore": "harness.sdk.datastore",
    "list_datastores": "harness.sdk.datastore",
    "register_datastore": "harness.sdk.datastore",
    "unregister_datastore": "harness.sdk.datastore",
    "list_runs": "harness.sdk.listing",
    "list_sweeps": "harness.sdk.sweep_listing",
    "list_models": "harness.sdk.model",
    "check_workspace": "harness.sdk.doctor",
    "Webservice": "harness.sdk.service",
    "deploy": "harness.sdk.service",
    "list_services": "harness.sdk.service",
}

__all__ = sorted(_NAMES)


def __getattr__(name: str) -> Any:
    if name in _NAMES:
        return getattr(importlib.import_module(_NAMES[name]), name)
    raise AttributeError(f"module 'harness.sdk' has no attribute {name!r}")
