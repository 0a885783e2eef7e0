"""The plan of one run: everything that can be checked before a record exists.

``plan`` resolves the component names, resolves every interpolation and calls the
components' own checks in the driver; a mistake is a ``HarnessError`` (one line,
exit 2) and nothing is written. ``provenance`` is what the run record says about
where the run came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from harness import inputs
from harness.contract.components import Compute, Estimator
from harness.contract.manager import HarnessPlugins
from harness.envs import runtime as envs_runtime
from harness.envs.resolve import ResolvedEnvironment
from harness.errors import ConfigError, HarnessError
from harness.job import config as job_config
from harness.run import provenance as run_provenance
from harness.storage.workspace import harness_home

__all__ = ["JobPlan", "component_name", "plan", "provenance"]


@dataclass
class JobPlan:
    estimator_name: str
    estimator: Estimator
    compute_name: str
    compute: Compute
    loggers: dict[str, dict[str, Any]]
    params: dict[str, Any]
    #: ``estimator.environment`` resolved (None: the harness's own interpreter).
    environment: ResolvedEnvironment | None = None


def component_name(cfg: DictConfig, kind: str) -> str:
    node = cfg.get(kind)
    name = node.get("name") if isinstance(node, DictConfig) else None
    if not name:
        nested = node.get(kind) if isinstance(node, DictConfig) else None
        if isinstance(nested, DictConfig) and nested.get("name"):
            # A group file that starts with `estimator:` but lacks the package header
            # lands one level too deep (Hydra puts a group file under its group).
            raise ConfigError(
                f"the config file {kind}/{nested.get('name')}.yaml put its keys under "
                f"{kind}.{kind}: give it the first line '# @package _global_' "
                f"(or drop its top-level '{kind}:' key)"
            )
        raise ConfigError(f"the config has no {kind}.name; choose one with {kind}=NAME")
    return str(name)


def plan(cfg: DictConfig, manager: HarnessPlugins) -> JobPlan:
    """Everything that can be checked before a run record exists (exit 2 on a mistake)."""
    estimator_name = component_name(cfg, "estimator")
    job_config.check_unknown_keys(cfg)  # `+compute.timeuot=5`: a typo Hydra let through
    inputs.experiment_name(cfg.get("experiment"))  # the same rules as every surface's
    tags = cfg.get("tags")
    inputs.tags(OmegaConf.to_container(tags, resolve=True) if isinstance(tags, DictConfig) else {})
    estimator = manager.create("estimator", estimator_name)
    compute_name = component_name(cfg, "compute")
    compute = manager.create("compute", compute_name)
    logger_node = cfg.get("logger") or {}
    loggers: dict[str, dict[str, Any]] = {}
    for name in logger_node:
        manager.get("logger", str(name))  # unknown logger → clear error now
        options = (
            OmegaConf.to_container(logger_node[name], resolve=True) if logger_node[name] else {}
        )
        loggers[str(name)] = options or {}  # type: ignore[assignment]
    try:
        # enum_to_str: job.json and run.json hold an Enum option as its name ("adam").
        params = OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True, enum_to_str=True)
    except HarnessError:
        raise
    except OmegaConfBaseException as exc:
        cause = _harness_cause(exc)  # e.g. a ${datastore:...} path that does not exist
        if cause is not None:
            raise cause from None
        from harness.job.config_errors import explain_omegaconf

        raise ConfigError(f"cannot resolve the config: {explain_omegaconf(exc)}") from None
    # A plugin's own bug here is one line naming it, exit 2 (nothing is written yet).
    with manager.calling("estimator", estimator_name, "Estimator.validate"):
        estimator.validate(cfg)
    with manager.calling("compute", compute_name, "Compute.validate"):
        compute.validate(cfg)
    environment = envs_runtime.for_config(cfg, harness_home())  # a bad spec: exit 2 here
    assert isinstance(params, dict)
    return JobPlan(
        estimator_name,
        estimator,
        compute_name,
        compute,
        loggers,
        {str(k): v for k, v in params.items()},
        environment,
    )


def _harness_cause(exc: BaseException) -> HarnessError | None:
    """The HarnessError a resolver raised, which OmegaConf wraps in its own error."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, HarnessError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def provenance(
    job: JobPlan,
    manager: HarnessPlugins,
    source_dir: Path,
    argv: list[str],
    datastores: list[dict[str, Any]],
) -> dict[str, Any]:
    """What the record says about the run's origin: versions, git, host, command
    line, the datastore paths it resolved, which plugin supplied each component,
    and its environment."""
    collected = run_provenance.collect(source_dir, job.estimator.packages, argv)
    if datastores:
        collected["datastores"] = datastores
    datastore_types = sorted({str(d["type"]) for d in datastores if "type" in d})
    collected["plugins"] = {
        "estimator": manager.origin("estimator", job.estimator_name),
        "compute": manager.origin("compute", job.compute_name),
        "loggers": {name: manager.origin("logger", name) for name in job.loggers},
        "datastores": {kind: manager.origin("datastore", kind) for kind in datastore_types},
    }
    if job.environment is not None:
        collected["environment"] = job.environment.summary()
    return collected
