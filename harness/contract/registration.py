"""Checks of what a plugin registers, made at registration: a component's name and
class, a typed config option's group, name and dataclass.

A registration that fails a check is the plugin's failure (it is disabled for the
command, with one warning); choosing the component then fails with that line
instead of a Hydra traceback or a ``Failed`` run much later.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from harness.contract.plugin_info import KINDS, one_line
from harness.errors import PluginError

__all__ = ["COMPONENT_NAME", "SCHEMA_GROUPS", "bases", "check_component", "check_schema"]


def bases() -> dict[str, type]:
    """kind → the class every component of that kind subclasses (imported when the
    first component registers: the built-ins' own modules import them anyway)."""
    from harness.contract.components import Compute, Datastore, Estimator, Logger

    return {"estimator": Estimator, "compute": Compute, "logger": Logger, "datastore": Datastore}


#: A component name is a config option (``estimator=NAME``) and a file name.
COMPONENT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
#: Groups a typed option may belong to (``harness_config_schemas``).
SCHEMA_GROUPS = ("estimator", "compute", "logger")


def _name_problem(kind: str, name: Any) -> str | None:
    if isinstance(name, str) and COMPONENT_NAME.match(name):
        return None
    return (
        f"registered the {kind} name {name!r}: a name starts with a letter and holds "
        "letters, digits, '-' and '_' (at most 64)"
    )


def check_component(kind: str, name: Any, obj: Any, taken: set[str]) -> None:
    """Raise PluginError unless ``obj`` may be registered as ``kind`` ``name`` by a
    plugin that registered ``taken`` (its names of this kind) already."""
    problem = _name_problem(kind, name)
    if problem:
        raise PluginError(problem)
    kinds = bases()
    base = kinds[kind]
    if not isinstance(obj, type):
        raise PluginError(
            f"registered {obj!r:.60} as {kind} '{name}', which is not a class; register "
            f"a subclass of harness.contract.{base.__name__}"
        )
    if not issubclass(obj, base):
        other = next((k for k, b in kinds.items() if issubclass(obj, b)), None)
        article = "an" if other and other[0] in "aeiou" else "a"
        hint = (
            f"it is {article} {other}: register it in {KINDS[other]}"
            if other
            else f"subclass harness.contract.{base.__name__}"
        )
        an = "an" if base.__name__[0] in "AEIOU" else "a"
        raise PluginError(
            f"registered {obj.__module__}.{obj.__qualname__} as {kind} '{name}', "
            f"which is not {an} {base.__name__}; {hint}"
        )
    if name in taken:
        raise PluginError(f"registered {kind} '{name}' twice")


def check_schema(group: Any, name: Any, node: Any, taken: set[tuple[str, str]]) -> None:
    """Raise PluginError unless ``node`` is a dataclass OmegaConf accepts as the typed
    option ``group=name``: every default must have its field's type (a wrong one
    used to fail every ``harness train``, whatever was chosen)."""
    if group not in SCHEMA_GROUPS:
        raise PluginError(
            f"registered a config schema for the group {group!r}; groups: "
            f"{', '.join(SCHEMA_GROUPS)}"
        )
    problem = _name_problem(group, name)
    if problem:
        raise PluginError(problem)
    if (group, name) in taken:
        raise PluginError(f"registered the config schema {group}={name} twice")
    if not (isinstance(node, type) and dataclasses.is_dataclass(node)):
        raise PluginError(
            f"registered {node!r:.60} as the config of {group}={name}, which is not a "
            "dataclass; register a @dataclass class"
        )
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    try:
        OmegaConf.structured(node)
    except (OmegaConfBaseException, ValueError, TypeError) as exc:
        line = _omegaconf_line(exc)
        raise PluginError(f"the config of {group}={name} is invalid: {line}") from None


def _omegaconf_line(exc: BaseException) -> str:
    """OmegaConf's multi-line message as one line: what is wrong, at which key."""
    message = (str(getattr(exc, "msg", "") or exc).strip().splitlines() or [type(exc).__name__])[0]
    key = getattr(exc, "full_key", None)
    owner = getattr(getattr(exc, "object_type", None), "__name__", None)
    where = f" (field {key} of {owner})" if key and owner else f" (field {key})" if key else ""
    return one_line(f"{message}{where}")
