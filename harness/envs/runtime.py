"""Environments for runs: what the driver (and a sweep) calls.

``for_config`` reads ``estimator.environment`` and resolves it before anything is
written (a bad spec is exit 2). ``prepare_run`` builds or reuses it once the
run exists (a build failure fails that run, exit 1) and points the job spec at
the environment's interpreter: every compute starts ``job.python``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from harness.contract import interrupts
from harness.envs.build import BuiltEnvironment, ensure_built
from harness.envs.resolve import ResolvedEnvironment, resolve
from harness.envs.spec import Definition, from_mapping

#: The config key, under ``estimator``.
CONFIG_KEY = "environment"
#: The build's own log, in the run's logs/.
BUILD_LOG = "environment.txt"


def definition_of(value: Any, home: Path) -> Definition | None:
    """A config value (None, ``NAME[:VERSION]``, or a mapping) as a definition."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        from harness.envs import registry

        return registry.get(home, value)
    data = _plain(value)
    if isinstance(data, dict) and set(data) <= {"name", "version"} and data.get("name"):
        from harness.envs import registry

        version = data.get("version")
        return registry.get(home, f"{data['name']}:{version}" if version else str(data["name"]))
    return from_mapping(data, check=False)  # resolve() checks what it has not seen


def for_config(cfg: Any, home: Path) -> ResolvedEnvironment | None:
    """The environment a composed config asks for, resolved (None: the harness's own)."""
    estimator = cfg.get("estimator") if hasattr(cfg, "get") else None
    value = (
        estimator.get(CONFIG_KEY) if estimator is not None and hasattr(estimator, "get") else None
    )
    definition = definition_of(value, home)
    if definition is None:
        return None
    resolved = resolve(definition, home)
    for line in resolved.warnings():  # also kept in the run's provenance
        print(f"harness: warning: {line}", file=sys.stderr, flush=True)
    return resolved


def prepare_run(resolved: ResolvedEnvironment, job: Any, home: Path) -> BuiltEnvironment:
    """Build or reuse the run's environment and make the job start its Python."""
    with interrupts.recorded():  # `harness runs cancel` during a build: clean up too
        built = ensure_built(resolved, home, log=Path(job.logs_dir) / BUILD_LOG)
    job.python = str(built.python)
    job.save()
    return built


def _plain(value: Any) -> Any:
    try:
        from omegaconf import DictConfig, ListConfig, OmegaConf

        if isinstance(value, (DictConfig, ListConfig)):
            return OmegaConf.to_container(value, resolve=True)
    except ImportError:  # pragma: no cover - omegaconf is a core dependency
        pass
    return value
