"""Config composition for ``harness train``: the typed schema, the primary config,
and the small rewrite of overrides that lets users write ``+estimator=x`` or
``estimator=x`` alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from omegaconf import MISSING, OmegaConf

from harness.sweeps.config import SweepConfig

CONF_DIR = Path(__file__).parents[1] / "conf"
CONFIG_NAME = "config"
SCHEMA_NAME = "harness_schema"

#: True while the harness's own Hydra app composes; the search-path plugin checks
#: it so the harness never adds its groups to somebody else's Hydra app.
APP_ACTIVE = False


@dataclass
class HarnessConfig:
    """The top level of every composed config. Types here are enforced by Hydra,
    so ``lr=abc`` fails during composition with the key and the expected type."""

    experiment: str = "default"
    seed: int = 0
    # Common hyperparameters: top-level so `harness train lr=0.003` reaches any
    # estimator; an estimator's config group sets its own defaults for them.
    lr: Optional[float] = None  # noqa: UP045 - OmegaConf needs typing.Optional
    epochs: Optional[int] = None  # noqa: UP045
    batch_size: Optional[int] = None  # noqa: UP045
    # A run id or checkpoint file to continue from (estimators that checkpoint honour it).
    resume: Optional[str] = None  # noqa: UP045
    tags: dict[str, str] = field(default_factory=dict)
    estimator: Any = MISSING
    compute: Any = MISSING
    datastore: Any = None
    logger: Any = field(default_factory=dict)
    sweep: SweepConfig = field(default_factory=SweepConfig)


def register_schema() -> None:
    from hydra.core.config_store import ConfigStore

    from harness.sweeps.config import register as register_sweep_policies

    ConfigStore.instance().store(name=SCHEMA_NAME, node=HarnessConfig)
    register_sweep_policies()


def register_resolvers() -> None:
    from harness.storage.workspace import harness_home

    if not OmegaConf.has_resolver("harness_home"):
        OmegaConf.register_new_resolver("harness_home", lambda: str(harness_home()))
    from harness.datastore.resolver import register as register_datastore_resolver

    register_datastore_resolver()  # ${datastore:[NAME:]PATH[,MODE]}


def default_groups() -> dict[str, Any]:
    """Group → default option(s) in the primary config's defaults list."""
    defaults = OmegaConf.to_container(OmegaConf.load(CONF_DIR / f"{CONFIG_NAME}.yaml"))["defaults"]
    groups: dict[str, Any] = {}
    for entry in defaults:
        if isinstance(entry, dict):
            for key, value in entry.items():
                if not key.startswith("override ") and "/" not in key:
                    groups[key] = value
    return groups


_GROUP_OVERRIDE = re.compile(r"^(\+{1,2})?([A-Za-z_][\w]*)=(.*)$", re.S)


def normalize_overrides(args: list[str], groups: dict[str, Any] | None = None) -> list[str]:
    """Accept both ``+group=x`` and ``group=x`` for groups in the defaults list.

    Hydra insists on ``+`` for a group that is *not* in the defaults list and
    rejects it for one that is; users should never meet that rule. For a group
    whose default is a list (``logger``), ``+logger=x`` adds ``x`` to the defaults.
    """
    groups = default_groups() if groups is None else groups
    result: list[str] = []
    # List groups: every `+logger=x` and `logger=[...]` merge into one override, so
    # `logger=[console,jsonl] +logger=mlflow +logger=tensorboard` keeps all four.
    chosen: dict[str, list[str]] = {}
    placed: dict[str, int] = {}
    for arg in args:
        match = _GROUP_OVERRIDE.match(arg)
        if (
            match
            and match.group(1) in (None, "+")
            and isinstance(groups.get(match.group(2)), list)
            and "$" not in match.group(3)
            and (match.group(1) == "+" or "," not in match.group(3) or "[" in match.group(3))
        ):
            group, value = match.group(2), match.group(3)
            if match.group(1) == "+":
                base = chosen.get(group, list(groups[group]))
                chosen[group] = [*base, *(v for v in _as_list(value) if v not in base)]
            else:
                chosen[group] = _as_list(value)
            merged = f"{group}=[{','.join(chosen[group])}]"
            if group in placed:
                result[placed[group]] = merged
            else:
                placed[group] = len(result)
                result.append(merged)
            continue
        if match and match.group(1) == "+" and match.group(2) in groups:
            group, value = match.group(2), match.group(3)
            default = groups[group]
            if isinstance(default, list):
                added = [v for v in _as_list(value) if v not in default]
                arg = f"{group}=[{','.join([*default, *added])}]"
            else:
                arg = f"{group}={value}"
        result.append(arg)
    return result


def _as_list(value: str) -> list[str]:
    value = value.strip()
    if value.startswith("[") and value.endswith("]"):
        value = value[1:-1]
    return [v.strip() for v in value.split(",") if v.strip()]


def group_options(group: str, searchpath: list[str]) -> list[str]:
    """Option names of a config group across the plugins' ``pkg://`` search-path entries."""
    from importlib import resources

    options: set[str] = set()
    for entry in searchpath:
        if not entry.startswith("pkg://"):
            continue
        try:
            folder = resources.files(entry.removeprefix("pkg://")).joinpath(group)
            options.update(
                p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml")
            )
        except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError, TypeError):
            continue
    return sorted(options)


def check_group_choices(args: list[str], groups: dict[str, Any], searchpath: list[str]) -> None:
    """Fail with one clear line on an unknown group option, before Hydra composes.

    Hydra's own message for this lists the whole search path; users need the
    bad value and the choices. Sweeps (``a,b``) and interpolations are left to Hydra.
    """
    from harness.errors import UnknownComponentError

    for arg in args:
        match = _GROUP_OVERRIDE.match(arg)
        if not match or match.group(2) not in groups or "$" in match.group(3):
            continue
        group, value = match.group(2), match.group(3).strip()
        is_list = isinstance(groups[group], list)
        if "," in value and not (is_list and value.startswith("[")):
            continue  # a multirun sweep over options
        available = group_options(group, searchpath)
        for choice in _as_list(value) if is_list else [value]:
            if choice not in available:
                raise UnknownComponentError(group, choice, available)
