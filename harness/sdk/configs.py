"""What to run, as Python objects: a script run, a built-in estimator with its
hyperparameters, an MPI configuration. Each turns into the overrides a user would
type after ``harness train`` (see ``harness.sdk.overrides``)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.errors import ConfigError
from harness.sdk import overrides as ov

#: Keys of the top-level schema (harness/job/config.py) that hyperparameters may set directly.
TOP_LEVEL_KEYS = frozenset({"lr", "epochs", "batch_size", "seed", "resume"})


class MpiConfiguration:
    """Ranks under MPI: ``compute=mpi`` with ``process_count_per_node`` and ``node_count``.

    ``hosts`` names the machines when ``node_count > 1`` (as ``compute.hosts``)."""

    def __init__(
        self,
        process_count_per_node: int = 1,
        node_count: int = 1,
        hosts: Sequence[str] | None = None,
    ) -> None:
        self.process_count_per_node = process_count_per_node
        self.node_count = node_count
        self.hosts = list(hosts) if hosts else None

    def to_overrides(self) -> list[str]:
        items = [
            "compute=mpi",
            ov.assign("compute.process_count_per_node", int(self.process_count_per_node)),
            ov.assign("compute.node_count", int(self.node_count)),
        ]
        if self.hosts:
            items.append(ov.assign("compute.hosts", self.hosts))
        return items

    def __repr__(self) -> str:
        return (
            f"MpiConfiguration(process_count_per_node={self.process_count_per_node}, "
            f"node_count={self.node_count})"
        )


def compute_overrides(compute_target: Any, distributed: Any) -> list[str]:
    """``compute_target``: None / a compute plugin name / an object with ``compute_overrides()``."""
    items: list[str] = []
    if distributed is not None:
        if not hasattr(distributed, "to_overrides"):
            raise ConfigError(f"distributed_job_config={distributed!r}: give an MpiConfiguration")
        return list(distributed.to_overrides())
    if compute_target is None:
        return items
    if hasattr(compute_target, "compute_overrides"):
        return list(compute_target.compute_overrides())
    if isinstance(compute_target, str):
        return [f"compute={ov.check_key(compute_target, 'compute')}"]
    raise ConfigError(f"compute_target={compute_target!r}: give a compute name such as 'local'")


def environment_overrides(environment: Any) -> list[str]:
    """``estimator.environment``: a name ``NAME[:VERSION]`` or an inline mapping
    (the environments feature's config key). An object may say what it maps to
    through ``to_config()`` (None: the current Python environment)."""
    if environment is None:
        return []
    value = environment.to_config() if hasattr(environment, "to_config") else environment
    if value is None:
        return []
    if not isinstance(value, (str, Mapping)):
        raise ConfigError(
            f"environment={environment!r}: give an environment name 'NAME[:VERSION]' or a "
            "mapping with pip_packages / python / requirements / conda_file"
        )
    if importlib.util.find_spec("harness.envs") is None:
        print(
            "harness: warning: environments are not available in this harness install; "
            "the job runs in the current Python environment",
            file=sys.stderr,
        )
        return []
    return [
        ov.assign("estimator.environment", dict(value) if isinstance(value, Mapping) else value)
    ]


def _source_dir(path: Any) -> str:
    return str(Path(str(path or ".")).expanduser().resolve())


class ScriptRunConfig:
    """Run ``script`` from a snapshot of ``source_directory`` (``+estimator=script``).

    ``arguments`` is passed as-is (v1's ``arguments``; each item as ``str(item)``,
    data references as the path they resolve to); ``script_params`` is v1's
    Estimator mapping: ``{'--regularization': 0.8}`` or ``{'regularization': 0.8}``
    both give ``--regularization 0.8``. A ``script_params`` flag (or a HyperDrive
    parameter, which sweeps set as one) that ``arguments`` also holds replaces its
    value there (plugins/script/arguments.py), as v1's HyperDrive did.
    """

    def __init__(
        self,
        source_directory: str | Path = ".",
        script: str | None = None,
        arguments: Sequence[Any] | None = None,
        compute_target: Any = None,
        environment: Any = None,
        distributed_job_config: Any = None,
        script_params: Mapping[str, Any] | None = None,
        azureml_compat: bool = False,
        primary_metric: str | None = None,
        goal: str | None = None,
    ) -> None:
        self.source_directory = source_directory
        self.script = script
        self.arguments = list(arguments or [])
        self.script_params = dict(script_params or {})
        self.compute_target = compute_target
        self.environment = environment
        self.distributed_job_config = distributed_job_config
        self.azureml_compat = azureml_compat
        self.primary_metric = primary_metric
        self.goal = goal

    def script_param_key(self, key: str) -> str:
        """``--data-folder`` → ``data-folder``: the config key under script_params."""
        bare = str(key)
        if bare.startswith("--"):
            bare = bare[2:]
        if bare.startswith("-") or not bare:
            raise ConfigError(
                f"script parameter '{key}': a short flag cannot be a config key; "
                "pass it in arguments=[...] instead"
            )
        return ov.check_key(bare, "script parameter")

    def to_overrides(self) -> list[str]:
        if not self.script:
            raise ConfigError(
                "ScriptRunConfig needs script= (the file to run, relative to source_directory)"
            )
        items = [
            "+estimator=script",
            ov.assign("estimator.source_directory", _source_dir(self.source_directory)),
            ov.assign("estimator.entry_script", str(self.script)),
        ]
        for key, value in self.script_params.items():
            items.append(
                ov.assign(
                    f"estimator.script_params.{self.script_param_key(key)}",
                    value if isinstance(value, bool) or value is None else ov.text(value),
                )
            )
        if self.arguments:
            items.append(ov.assign("estimator.arguments", [ov.text(a) for a in self.arguments]))
        inputs = {
            ref.name: ref
            for ref in [*self.arguments, *self.script_params.values()]
            if getattr(ref, "name", None) and hasattr(ref, "to_config_value")
        }
        if inputs:
            items.append(ov.assign("estimator.named_inputs", inputs))
        if self.azureml_compat:
            items.append(ov.assign("estimator.azureml_compat", True))
        if self.primary_metric:
            items.append(ov.assign("estimator.primary_metric", self.primary_metric))
        if self.goal:
            items.append(ov.assign("estimator.goal", self.goal))
        items += compute_overrides(self.compute_target, self.distributed_job_config)
        items += environment_overrides(self.environment)
        return items

    def sweep_key(self, name: str) -> str:
        """A HyperDrive parameter name (``--lr`` or ``lr``) → its config key."""
        return f"estimator.script_params.{self.script_param_key(name)}"


class EstimatorConfig:
    """A built-in (or plugin) estimator by name, with hyperparameters.

    ``hyperparameters`` keys: ``lr``/``epochs``/``batch_size``/``seed`` are top-level;
    a dotted key (``estimator.data.path``) is used as written; any other key is the
    estimator's own (``C`` → ``estimator.C``).
    """

    def __init__(
        self,
        estimator: str = "sklearn",
        hyperparameters: Mapping[str, Any] | None = None,
        compute_target: Any = None,
        distributed_job_config: Any = None,
        environment: Any = None,
        overrides: Sequence[str] | None = None,
    ) -> None:
        self.estimator = estimator
        self.hyperparameters = dict(hyperparameters or {})
        self.compute_target = compute_target
        self.distributed_job_config = distributed_job_config
        self.environment = environment
        self.extra_overrides = list(overrides or [])

    def sweep_key(self, name: str) -> str:
        name = str(name).lstrip("-")
        if "." in name or name in TOP_LEVEL_KEYS:
            return ov.check_key(name, "hyperparameter")
        return f"estimator.{ov.check_key(name, 'hyperparameter')}"

    def to_overrides(self) -> list[str]:
        items = [f"+estimator={ov.check_key(self.estimator, 'estimator')}"]
        for key, value in self.hyperparameters.items():
            items.append(ov.assign(self.sweep_key(key), value))
        items += compute_overrides(self.compute_target, self.distributed_job_config)
        items += environment_overrides(self.environment)
        items += self.extra_overrides
        return items


def config_overrides(config: Any) -> list[str]:
    if not hasattr(config, "to_overrides"):
        raise ConfigError(
            f"cannot submit a {type(config).__name__}: give a ScriptRunConfig, an "
            "EstimatorConfig or a SweepConfig"
        )
    return list(config.to_overrides())
