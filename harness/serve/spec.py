"""What a deployment asks for, checked before anything is written.

``DeploymentSpec`` is what ``harness models serve`` and ``Model.deploy`` fill in;
``plan`` checks it against the workspace (the models, the entry script, the
estimator that can load the model, the environment, the network settings) and
returns a ``Plan``, or raises a one-line ``HarnessError`` (exit 2) with nothing
written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import ConfigError, NotFoundError
from harness.ids import check_service_name
from harness.storage.model_registry import ModelRegistry, ModelVersion

#: Request bodies above this are refused with 413 (``--body-limit`` changes it).
DEFAULT_BODY_LIMIT = 32 * 1024 * 1024
#: The entry script's folder is copied into the service; larger is refused.
SOURCE_MAX_MB = 300
#: v1's ``Model.Framework`` names (``Model.register(model_framework=...)``) → estimators.
FRAMEWORKS = {
    "scikitlearn": "sklearn",
    "sklearn": "sklearn",
    "pytorch": "pytorch",
    "chainer": "chainer",
}
FRAMEWORK_PROPERTY = "model_framework"


@dataclass
class DeploymentSpec:
    name: str
    models: list[str]
    entry_script: str | None = None
    source_directory: str | None = None
    #: None (the model's run's environment, else the harness's own), NAME[:VERSION],
    #: a mapping, or an object with ``to_config()`` (harness.Environment, v1's)
    environment: Any = None
    host: str = "127.0.0.1"
    port: int = 0
    workers: int = 1
    body_limit: int = DEFAULT_BODY_LIMIT
    token: str | None = None
    deployment: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    description: str = ""


@dataclass
class Plan:
    spec: DeploymentSpec
    entries: list[ModelVersion]
    #: the entry script, and the folder copied with it (or the script alone)
    script: Path | None
    source: Path | None
    estimator: str | None
    environment: Any  # harness.envs.resolve.ResolvedEnvironment | None


def _entries(registry: ModelRegistry, refs: list[str]) -> list[ModelVersion]:
    if not refs:
        raise ConfigError("name at least one registered model to serve (NAME[:VERSION|@ALIAS])")
    entries = [registry.get(str(ref)) for ref in refs]
    seen = set()
    for entry in entries:
        key = (entry.name, entry.version)
        if key in seen:
            raise ConfigError(f"model {entry.name}:{entry.version} is named twice")
        seen.add(key)
    return entries


def _script(spec: DeploymentSpec) -> tuple[Path, Path | None]:
    assert spec.entry_script is not None
    source = None
    if spec.source_directory:
        source = Path(spec.source_directory).expanduser().resolve()
        if not source.is_dir():
            raise NotFoundError(f"source_directory '{spec.source_directory}' is not a folder")
    script = Path(spec.entry_script).expanduser()
    script = (
        source / script if source is not None and not script.is_absolute() else script
    ).resolve()
    if not script.is_file():
        where = f" in {source}" if source is not None else ""
        raise NotFoundError(f"entry script '{spec.entry_script}' not found{where}")
    if script.suffix != ".py":
        raise ConfigError(f"entry script '{spec.entry_script}' is not a .py file")
    if source is not None:
        if not script.is_relative_to(source):
            raise ConfigError(f"entry script '{spec.entry_script}' is outside {source}")
        size = sum(
            p.stat().st_size for p in source.rglob("*") if p.is_file() and not p.is_symlink()
        )
        if size > SOURCE_MAX_MB * 1024 * 1024:
            raise ConfigError(
                f"source_directory {source} holds {size // 2**20} MB (limit {SOURCE_MAX_MB} MB): "
                "deploy from a folder with the scoring code only"
            )
    return script, source


def estimator_of(entry: ModelVersion, home: Path) -> str | None:
    """The estimator that made ``entry``: its run's, or v1's ``model_framework``."""
    if entry.run_id:
        from harness.run.store import RunStore

        try:
            return RunStore(home).get(entry.run_id).estimator
        except Exception:  # a deleted or damaged run: fall back to the properties
            pass
    framework = str(entry.properties.get(FRAMEWORK_PROPERTY, "")).lower().replace("-", "")
    return FRAMEWORKS.get(framework)


def _estimator(entries: list[ModelVersion], home: Path) -> str:
    from harness.contract.components import serves_models
    from harness.contract.manager import get_plugin_manager

    entry = entries[0]
    ref = f"{entry.name}:{entry.version}"
    if len(entries) > 1:
        raise ConfigError("serving several models needs an entry script (score.py) to combine them")
    name = estimator_of(entry, home)
    if name is None:
        raise ConfigError(
            f"model {ref} was not made by a harness estimator (registered from a file): "
            "give an entry script (--entry-script score.py with init() and run())"
        )
    manager = get_plugin_manager()
    if name not in manager.names("estimator"):
        raise ConfigError(f"model {ref} was made by estimator '{name}', which is not installed")
    if not serves_models(manager.get("estimator", name)):
        raise ConfigError(
            f"estimator '{name}' cannot load the models it saves (no load_model): give an "
            "entry script (--entry-script score.py with init() and run())"
        )
    return name


def _environment_value(spec: DeploymentSpec, entries: list[ModelVersion], home: Path) -> Any:
    value = spec.environment
    if value is not None and hasattr(value, "to_config"):
        return value.to_config()
    if value is not None:
        return value
    # The model's own recorded environment: what its run trained in.
    for entry in entries:
        if not entry.run_id:
            continue
        from harness.run.store import RunStore

        try:
            provenance = RunStore(home).get(entry.run_id).provenance
        except Exception:
            continue
        recorded = provenance.get("environment") or {}
        if isinstance(recorded.get("definition"), dict):
            return recorded["definition"]
    return None


def _serving_requirements() -> list[str]:
    """What the service process imports beyond the harness's core: the ``ui`` extra."""
    from importlib import metadata

    from packaging.requirements import Requirement

    found = []
    for line in metadata.requires("harness-ml") or []:
        req = Requirement(line)
        in_ui = req.marker is not None and req.marker.evaluate({"extra": "ui"})
        if in_ui and req.name in ("starlette", "uvicorn"):
            req.marker = None
            found.append(str(req))
    return found


def _environment(value: Any, home: Path) -> Any:
    if value is None or value == "":
        return None
    from harness.envs.resolve import resolve
    from harness.envs.runtime import definition_of

    definition = definition_of(value, home)
    if definition is None:
        return None
    resolved = resolve(definition, home)
    if not resolved.same_python:  # no overlay of the harness's packages: add the server's
        definition.pip_packages = [*definition.pip_packages, *_serving_requirements()]
        resolved = resolve(definition, home)
    return resolved


def check_network(spec: DeploymentSpec) -> None:
    if not isinstance(spec.port, int) or not 0 <= spec.port < 65536:
        raise ConfigError(f"port {spec.port!r}: give a port between 1 and 65535 (0: any free one)")
    if not isinstance(spec.workers, int) or spec.workers < 1:
        raise ConfigError(f"workers {spec.workers!r}: give a number ≥ 1")
    if not isinstance(spec.body_limit, int) or spec.body_limit < 1:
        raise ConfigError(f"body limit {spec.body_limit!r}: give a number of bytes ≥ 1")
    if spec.token is not None and len(spec.token) < 16:
        raise ConfigError("the token must be at least 16 characters (or leave it out: one is made)")


def plan(spec: DeploymentSpec, home: Path) -> Plan:
    check_service_name(spec.name)
    check_network(spec)
    entries = _entries(ModelRegistry(home), list(spec.models))
    script = source = None
    estimator = None
    if spec.entry_script:
        script, source = _script(spec)
    else:
        estimator = _estimator(entries, home)
    environment = _environment(_environment_value(spec, entries, home), home)
    return Plan(spec, entries, script, source, estimator, environment)


def relative_script(plan: Plan) -> str | None:
    if plan.script is None:
        return None
    return os.path.relpath(plan.script, plan.source) if plan.source else plan.script.name
