"""Shared by the shim's modules: one-time warnings and one-line refusals, also for
v1 modules and names the layer does not provide (``MissingV1Module``)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from harness.compat.azureml_hint import probing
from harness.errors import HarnessError

_warned: set[str] = set()


class UnsupportedError(HarnessError):
    """A v1 feature that has no local equivalent; the message names the alternative."""


class UnavailableModuleError(UnsupportedError, ModuleNotFoundError):
    """``import azureml.X`` of a v1 module the layer does not provide: one line saying
    what to use, and still an ImportError for ``try: ... except ImportError``."""


#: v1 modules (and their submodules) the layer does not provide → what to use instead.
MISSING_MODULES: dict[str, str] = {
    "azureml.pipeline": "Azure ML pipelines; run each step as its own run "
    "(Experiment.submit or harness train) and pass data through a datastore path",
    "azureml.train.automl": "AutoML; sweep a model of your own with HyperDriveConfig "
    "(harness train -m)",
    "azureml.automl": "AutoML; sweep a model of your own with HyperDriveConfig (harness train -m)",
    "azureml.tensorboard": "Azure's TensorBoard launcher; log with the tensorboard logger "
    "(+logger=tensorboard) and run `tensorboard --logdir $HARNESS_HOME/runs`",
    "azureml.mlflow": "tracking into Azure through MLflow; use the mlflow logger "
    "(+logger=mlflow) or MLflow's own local tracking",
    "azureml.interpret": "model explanations; use the shap or interpret packages in your script",
    "azureml.explain": "model explanations; use the shap or interpret packages in your script",
    "azureml.dataprep": "Azure's data preparation; read the files of a datastore path with "
    "pandas (Dataset.Tabular.from_delimited_files((datastore, 'path')).to_pandas_dataframe())",
    "azureml.data.datapath": "data paths; use datastore.path('folder') or "
    "Dataset.File.from_files((datastore, 'folder'))",
}


class UnavailableNameError(UnsupportedError, ImportError):
    """``from azureml.X import Name`` of a v1 name the layer does not provide."""


def missing_module_message(name: str) -> str:
    for prefix, instead in MISSING_MODULES.items():
        if name == prefix or name.startswith(prefix + "."):
            what, _, use = instead.partition("; ")
            return f"{name} ({what}) is not available locally; {use}"
    return (
        f"{name} is not available locally: the harness's Azure ML layer covers training, "
        "logging, HyperDrive, environments, datastores, datasets and models; see "
        "docs/migrating-from-azureml.md for what to use instead"
    )


class MissingV1Module:
    """The last finder on ``sys.meta_path`` once the layer is imported: an
    ``azureml.X`` that nothing provides fails with one line naming the local way. A
    probe (``importlib.util.find_spec``) still gets None, as for any missing module."""

    harness_azureml_missing = True

    @classmethod
    def find_spec(cls, name: str, path: Any = None, target: Any = None) -> None:
        if not name.startswith("azureml.") or probing():
            return None
        raise UnavailableModuleError(missing_module_message(name), name=name)

    @classmethod
    def invalidate_caches(cls) -> None:
        pass


def install_missing_module_finder() -> None:
    if not any(getattr(f, "harness_azureml_missing", False) for f in sys.meta_path):
        sys.meta_path.append(MissingV1Module)


def missing_names(module: str, names: dict[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__``: a v1 name of ``module`` the layer does not provide
    (``from azureml.core.compute import RemoteCompute``) is one line saying what to
    use; any other name is the usual AttributeError."""

    def __getattr__(name: str) -> Any:  # noqa: N807
        if name in names:  # not an AttributeError: `from ... import` would replace the message
            raise UnavailableNameError(f"{module}.{name} is not available locally; {names[name]}")
        raise AttributeError(f"module '{module}' has no attribute '{name}'")

    return __getattr__


def warn_once(key: str, message: str) -> None:
    if key not in _warned:
        _warned.add(key)
        print(f"harness: warning: {message}", file=sys.stderr, flush=True)


def refuse(what: str, instead: str) -> UnsupportedError:
    return UnsupportedError(f"{what} is not available locally; {instead}")


def ignored(what: str, value: Any, why: str = "it has no local meaning") -> None:
    """An accepted-and-ignored argument: one warning per kind of argument."""
    if value not in (None, False, "", [], {}, ()):
        # An object without a repr of its own reads as its kind, not `<... at 0x7f...>`.
        shown = (
            f"{type(value).__name__}(...)"
            if type(value).__repr__ is object.__repr__
            else repr(value)
        )
        warn_once(f"ignored:{what}", f"{what}={shown} is ignored ({why})")


class Details(dict):
    """``get_details()``'s dict; keys also read as attributes (``.status``)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None
