"""The typed config of the ``script`` estimator: the one place its defaults live.

Registered as the option ``estimator=script`` (``harness_config_schemas``); see
docs/script-mode.md. ``estimator.py`` keeps what types cannot say (the folder and
the script exist, the snapshot size).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

# OmegaConf needs typing.Optional, Dict and List in structured configs.
# ruff: noqa: UP006, UP035, UP045


@dataclass
class ScriptOptions:
    name: str = "script"
    #: The folder snapshotted into the run (relative to where you run `harness
    #: train`). .harnessignore (or else .gitignore) files leave things out.
    source_directory: str = "."
    #: The script to run, relative to source_directory.
    entry_script: Optional[str] = None
    #: key: value → `--key value`; true → `--key` alone; false/null → left out; a list
    #: → `--key v1 v2 ...`. Add keys with +estimator.script_params.KEY=VALUE.
    script_params: Dict[str, Any] = field(default_factory=dict)
    #: Passed as they are after script_params, like ScriptRunConfig's `arguments`:
    #: estimator.arguments='[--epochs,3,data/train.csv]'
    arguments: List[Any] = field(default_factory=list)
    #: Refuse a snapshot larger than this many MB (Azure ML's limit was 300 MB too).
    snapshot_max_mb: float = 300
    #: Make `from azureml.core import Run` inside the script record into this run.
    azureml_compat: bool = False
    #: What a sweep optimises: the metric your script logs with run.log, and its goal.
    primary_metric: str = "accuracy"
    #: maximize | minimize
    goal: str = "maximize"
    #: Named inputs of an Azure ML v1 ScriptRunConfig (set by the Python API; read by
    #: the script with Run.get_context().input_datasets): a mapping of name → path.
    #: Any, not Optional[Dict]: OmegaConf cannot add a key under a typed null mapping
    #: (`++estimator.named_inputs.training=...`), as it can under an untyped null.
    named_inputs: Any = None
    #: The Python environment the job runs in (docs/environments.md): None = the
    #: harness's own; a name (harness-chainer, NAME:VERSION) or a mapping
    #: (pip_packages, python, requirements, conda_file).
    environment: Any = None


@dataclass
class ScriptConfig:
    """Top level (package ``_global_``)."""

    estimator: ScriptOptions = field(default_factory=ScriptOptions)
