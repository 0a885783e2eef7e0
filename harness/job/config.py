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

CONF_DIR = Path(__file__).parents[1] / "conf"
CONFIG_NAME = "config"
SCHEMA_NAME = "harness_schema"

#: Top-level nodes that a layer above the run adds to the schema (the sweep layer
#: adds ``sweep``): name → (type, default factory).
_SECTIONS: dict[str, tuple[Any, Any]] = {}


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


def add_section(name: str, schema: Any) -> None:
    """Add a typed top-level node (a dataclass) to the schema: how a layer on top
    of single runs (sweeps) brings its own settings without this module knowing
    it. Call before ``register_schema``."""
    _SECTIONS[name] = (schema, schema)


def schema() -> type:
    """``HarnessConfig`` plus the sections added with ``add_section``."""
    if not _SECTIONS:
        return HarnessConfig
    from dataclasses import make_dataclass

    extra = [
        (name, kind, field(default_factory=factory)) for name, (kind, factory) in _SECTIONS.items()
    ]
    return make_dataclass("HarnessConfig", extra, bases=(HarnessConfig,))


def register_schema() -> None:
    from hydra.core.config_store import ConfigStore

    ConfigStore.instance().store(name=SCHEMA_NAME, node=schema())


#: Where a typed option of each group lands in the composed config.
_SCHEMA_PACKAGES = {"estimator": "_global_", "compute": "compute", "logger": "logger.{name}"}


def register_plugin_schemas(schemas: list[tuple[str, str, type, str]]) -> dict[str, list[str]]:
    """Store the plugins' typed options (``harness_config_schemas``) in Hydra's
    ConfigStore; returns group → option names, for the checks before composing."""
    from hydra.core.config_store import ConfigStore

    from harness.errors import PluginError

    store = ConfigStore.instance()
    options: dict[str, list[str]] = {}
    for group, name, node, plugin in schemas:
        if group not in _SCHEMA_PACKAGES:
            raise PluginError(
                f"plugin '{plugin}' registered a config schema for the group '{group}'; "
                f"groups: {', '.join(_SCHEMA_PACKAGES)}"
            )
        package = _SCHEMA_PACKAGES[group].format(name=name)
        if package == "_global_":
            node = _global_node(node)
        store.store(group=group, name=name, node=node, package=package, provider=plugin)
        options.setdefault(group, []).append(name)
    return options


def _global_node(schema: type) -> Any:
    """A top-level option as a plain node whose dataclass fields stay typed: the root
    is ``HarnessConfig`` (which types ``lr``, ``epochs``, ...), and OmegaConf merges
    no other dataclass into it, but its ``estimator`` node is untyped (``Any``)."""
    import dataclasses

    node = OmegaConf.create({})
    for item in dataclasses.fields(schema):
        if item.default_factory is not dataclasses.MISSING:
            value = item.default_factory()
        else:
            value = item.default
        if dataclasses.is_dataclass(value):
            value = open_node(value) if other_keys(value) else OmegaConf.structured(value)
        node[item.name] = value
    return node


def other_keys(schema: Any) -> str | None:
    """What keys a schema leaves undeclared stand for (``other_keys`` ClassVar), or
    None for a closed schema, where an undeclared key is a mistake."""
    return getattr(schema, "other_keys", None)


def open_node(schema: Any) -> Any:
    """A schema whose node takes other keys (the sklearn model's parameters): a plain
    node holding the schema's typed values, so ``estimator.C=abc`` is still refused
    while ``+estimator.solver=saga`` and ``~estimator.C`` work (a structured node
    refuses deletion)."""
    from omegaconf import DictConfig

    typed = OmegaConf.structured(schema)
    node = DictConfig({})
    for key in typed:
        node._set_item_impl(key, typed._get_node(key))  # keeps each value's type
    return node


def check_unknown_keys(cfg: Any, path: str = "") -> None:
    """Refuse keys a closed schema does not declare. Hydra adds any key given with
    ``+``/``++`` (it opens the node), so ``+compute.timeuot=5`` would otherwise be
    carried along unused."""
    import dataclasses

    from omegaconf import DictConfig

    from harness.errors import ConfigError

    if not isinstance(cfg, DictConfig):
        return
    schema = OmegaConf.get_type(cfg)
    # The root (HarnessConfig) is the harness's own and not checked here.
    declared = (
        [f.name for f in dataclasses.fields(schema)]
        if path and dataclasses.is_dataclass(schema)
        else None
    )
    for raw_key in cfg:
        key = str(raw_key)
        name = f"{path}{key}"
        if declared is not None and key not in declared:
            owner = owner_of(path, getattr(schema, "name", None))
            raise ConfigError(unknown_key_message(name, declared, path, owner))
        child = cfg._get_node(key)
        if isinstance(child, DictConfig) and not child._is_missing() and not child._is_none():
            check_unknown_keys(child, f"{name}.")


def unknown_key_message(
    key: str, declared: list[str], path: str, owner: str, value: str | None = None
) -> str:
    """``KEY is not an option of OWNER; did you mean ...?`` with the node's keys; with
    ``value`` (a node that takes keys of the user's own, the top level), how to add it."""
    import difflib

    leaf = key.rpartition(".")[2]
    close = difflib.get_close_matches(leaf, declared, n=1)
    hint = f"; did you mean {path}{close[0]}?" if close else ""
    if value is not None:
        add = f"+{key}={value} adds a key of your own"
        hint += f" ({add})" if close else f"; {add}"
    return (
        f"{key} is not an option of {owner}{hint} "
        f"(its options: {', '.join(path + d for d in declared)}; "
        "`harness train --help` lists every option with its type)"
    )


def owner_of(path: str, name: Any) -> str:
    """``compute=mpi`` for a component's node, else the node's path."""
    parts = path.rstrip(".").split(".")
    if parts[0] in ("compute", "estimator") and len(parts) == 1 and isinstance(name, str):
        return f"{parts[0]}={name}"
    if parts[0] == "logger" and len(parts) == 2:
        return f"logger={parts[1]}"
    return path.rstrip(".") or "the config"


def register_resolvers() -> None:
    from harness.job import session
    from harness.job.datastore_resolver import register as register_datastore_resolver
    from harness.storage.workspace import harness_home

    if not OmegaConf.has_resolver("harness_home"):
        OmegaConf.register_new_resolver("harness_home", lambda: str(harness_home()))
    # ${datastore:[NAME:]PATH[,MODE]}; what it resolves goes into the run's provenance.
    register_datastore_resolver(lambda record: session.ensure().record_datastore(record))


def default_groups() -> dict[str, Any]:
    """Group → default option(s) in the primary config's defaults list."""
    primary = OmegaConf.to_container(OmegaConf.load(CONF_DIR / f"{CONFIG_NAME}.yaml"))
    defaults = primary["defaults"] if isinstance(primary, dict) else []
    groups: dict[str, Any] = {}
    for entry in defaults:
        if isinstance(entry, dict):
            for key, value in entry.items():
                if not key.startswith("override ") and "/" not in key:
                    groups[key] = value
    return groups


_GROUP_OVERRIDE = re.compile(r"^(\+{1,2})?([A-Za-z_][\w]*)=(.*)$", re.S)
#: ``+logger.jsonl.path=x``: a key of one option of a list group, added with ``+``.
_OPTION_KEY_OVERRIDE = re.compile(r"^\+([A-Za-z_]\w*)\.([A-Za-z][\w-]*)\.(.+=.*)$", re.S)


def normalize_overrides(
    args: list[str],
    groups: dict[str, Any] | None = None,
    options: dict[str, list[str]] | None = None,
) -> list[str]:
    """Accept both ``+group=x`` and ``group=x`` for groups in the defaults list.

    Hydra insists on ``+`` for a group that is *not* in the defaults list and
    rejects it for one that is; users should never meet that rule. For a group
    whose default is a list (``logger``), ``+logger=x`` adds ``x`` to the defaults.
    ``+logger.x.key=v`` (``x`` one of ``options["logger"]``) adds ``x`` the same way
    and sets the key on its composed node, so the option's typed schema checks it
    (Hydra would otherwise make a plain node without it).
    """
    groups = default_groups() if groups is None else groups
    result: list[str] = []
    # List groups: every `+logger=x` and `logger=[...]` merge into one override, so
    # `logger=[console,jsonl] +logger=mlflow +logger=tensorboard` keeps all four.
    chosen: dict[str, list[str]] = {}
    placed: dict[str, int] = {}

    def choose(group: str, names: list[str], add: bool) -> None:
        base = chosen.get(group, list(groups[group]))
        chosen[group] = [*base, *(v for v in names if v not in base)] if add else names
        merged = f"{group}=[{','.join(chosen[group])}]"
        if group in placed:
            result[placed[group]] = merged
        else:
            placed[group] = len(result)
            result.append(merged)

    for arg in args:
        nested = _OPTION_KEY_OVERRIDE.match(arg)
        if (
            nested
            and isinstance(groups.get(nested.group(1)), list)
            and nested.group(2) in (options or {}).get(nested.group(1), ())
        ):
            group, name, rest = nested.groups()
            choose(group, [name], add=True)
            result.append(f"{group}.{name}.{rest}")
            continue
        match = _GROUP_OVERRIDE.match(arg)
        if (
            match
            and match.group(1) in (None, "+")
            and isinstance(groups.get(match.group(2)), list)
            and "$" not in match.group(3)
            and (match.group(1) == "+" or "," not in match.group(3) or "[" in match.group(3))
        ):
            group, value = match.group(2), match.group(3)
            choose(group, _as_list(value), add=match.group(1) == "+")
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
    """Option names of a config group across the plugins' ``pkg://`` and ``file://``
    search-path entries."""
    from harness.contract.manager import searchpath_options

    options: set[str] = set()
    for entry in searchpath:
        options.update(searchpath_options(entry).get(group, []))
    return sorted(options)


def check_group_choices(
    args: list[str],
    groups: dict[str, Any],
    searchpath: list[str],
    why_missing: Any = None,
    typed: dict[str, list[str]] | None = None,
) -> None:
    """Fail with one clear line on an unknown group option, before Hydra composes.

    Hydra's own message for this lists the whole search path; users need the
    bad value and the choices, and (``why_missing(group, option)``, from the plugin
    manager) why an option a plugin seems to offer is not there. ``typed`` adds the
    options plugins registered as dataclasses (``register_plugin_schemas``). Sweeps (``a,b``)
    and interpolations are left to Hydra.
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
        available = sorted({*group_options(group, searchpath), *(typed or {}).get(group, [])})
        for choice in _as_list(value) if is_list else [value]:
            if choice not in available:
                reason = why_missing(group, choice) if why_missing else None
                raise UnknownComponentError(group, choice, available, reason)
