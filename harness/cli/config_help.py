"""The part of ``harness train --help`` that Hydra cannot print: every option of
each component (estimators, computes, loggers), with its type and default.

A typed option (a dataclass from ``harness_config_schemas``) shows its declared
types; an option that is still a YAML file shows the type of its default value.
"""

from __future__ import annotations

import dataclasses
import enum
import typing
from importlib import resources
from pathlib import Path
from typing import Any

GROUPS = ("estimator", "compute", "logger")


def _type_name(kind: Any) -> str:
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return "|".join(str(m.value) for m in kind)
    origin = getattr(kind, "__origin__", None)
    if origin is typing.Union:
        args = [a for a in kind.__args__ if a is not type(None)]
        return f"{'|'.join(_type_name(a) for a in args)} or null"
    if origin is list:
        return f"list of {_type_name(kind.__args__[0])}"
    if origin is dict:
        return f"mapping of {_type_name(kind.__args__[1])}"
    if kind is Any:
        return "any"
    return getattr(kind, "__name__", None) or str(kind).replace("typing.", "")


def _dataclass_rows(node: Any, prefix: str) -> list[tuple[str, str, Any]]:
    rows: list[tuple[str, str, Any]] = []
    hints = typing.get_type_hints(node)
    for field in dataclasses.fields(node):
        kind = hints.get(field.name, Any)
        if field.default is not dataclasses.MISSING:
            default = field.default
        elif field.default_factory is not dataclasses.MISSING:
            default = field.default_factory()
        else:
            default = "???"
        key = f"{prefix}{field.name}"
        if dataclasses.is_dataclass(kind):
            rows.extend(_dataclass_rows(kind, key + "."))
        else:
            value = getattr(default, "value", default)  # an Enum default
            rows.append((key, _type_name(kind), value))
    return rows


def _yaml_rows(data: Any, prefix: str) -> list[tuple[str, str, Any]]:
    rows: list[tuple[str, str, Any]] = []
    for key, value in (data or {}).items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value and "_target_" not in value:
            rows.extend(_yaml_rows(value, name + "."))
        else:
            kind = "any" if value is None else type(value).__name__
            rows.append((name, kind, value))
    return rows


def _yaml_file(entry: str, group: str, option: str) -> Any:
    if entry.startswith("pkg://"):
        # One part at a time: a conf folder without __init__.py is a namespace
        # package, whose MultiplexedPath.joinpath takes a single argument.
        folder = resources.files(entry.removeprefix("pkg://")).joinpath(group)
        return folder.joinpath(f"{option}.yaml")
    return Path(entry.removeprefix("file://")) / group / f"{option}.yaml"


def _other_keys_rows(node: type, prefix: str) -> list[tuple[str, str, Any]]:
    """A row for the keys an open node takes besides its declared ones (sklearn)."""
    hints = typing.get_type_hints(node)
    for field in dataclasses.fields(node):
        kind = hints.get(field.name, Any)
        text = getattr(kind, "other_keys", None) if dataclasses.is_dataclass(kind) else None
        if text:
            return [(f"{prefix}{field.name}.*", "other keys", text)]
    return []


def component_options(manager: Any) -> dict[str, list[tuple[str, str, list[tuple[str, str, Any]]]]]:
    """group → [(option, where it comes from, [(key, type, default)])]."""
    from omegaconf import OmegaConf

    from harness.contract.manager import searchpath_options

    found: dict[str, dict[str, tuple[str, list[tuple[str, str, Any]]]]] = {g: {} for g in GROUPS}
    for group, name, node, plugin in manager.config_schemas():
        prefix = {"estimator": "", "compute": "compute.", "logger": f"logger.{name}."}[group]
        rows = _dataclass_rows(node, prefix) + _other_keys_rows(node, prefix)
        found[group][name] = (f"typed, plugin '{plugin}'", rows)
    for entry in manager.config_searchpath():
        for group, options in searchpath_options(entry).items():
            for option in options if group in found else []:
                if option in found[group]:
                    continue  # the first entry on the search path wins, as in Hydra
                source = _yaml_file(entry, group, option)
                data = OmegaConf.to_container(OmegaConf.load(str(source)))
                prefix = (
                    "compute." if group == "compute" else "logger." if group == "logger" else ""
                )
                found[group][option] = (f"{group}/{option}.yaml", _yaml_rows(data, prefix))
    return {g: [(o, *found[g][o]) for o in sorted(found[g])] for g in GROUPS}


def print_component_options(manager: Any) -> None:
    print("== Options of each component ==")
    print("Choose one with group=option; override any key below (key=value).\n")
    for group, options in component_options(manager).items():
        for option, source, rows in options:
            print(f"{group}={option}  ({source})")
            for key, kind, default in rows:
                if kind == "other keys":
                    print(f"  {key}: {default}")
                else:
                    print(f"  {key}: {kind} = {default}")
            print()
