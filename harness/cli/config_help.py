"""The part of ``harness train --help`` that Hydra cannot print: every option of
each component (estimators, computes, loggers), with its type, default and
description.

A typed option (a dataclass from ``harness_config_schemas``) shows its declared
types; an option that is still a YAML file shows the type of its default value.
Descriptions come from the dataclass (``field_docs``: a field's ``#:`` comment, as
Sphinx reads it, a string right after the field, or ``field(metadata={"doc":
...})``) or from the comment lines above a key in a YAML file.
"""

from __future__ import annotations

import ast
import dataclasses
import enum
import inspect
import textwrap
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


#: (key, type, default) or (key, type, default, description).
Row = tuple[Any, ...]


def field_docs(node: type) -> dict[str, str]:
    """Field name → its description, from the dataclass's own source or metadata."""
    docs: dict[str, str] = {}
    try:
        lines, _ = inspect.getsourcelines(node)
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except (OSError, TypeError, SyntaxError):  # no source (built in a REPL, frozen)
        tree = None
    body = tree.body[0].body if tree and isinstance(tree.body[0], ast.ClassDef) else []
    source = textwrap.dedent("".join(lines)).splitlines() if tree else []
    for index, statement in enumerate(body):
        if not (isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)):
            continue
        comments: list[str] = []
        row = statement.lineno - 2
        while row >= 0 and source[row].strip().startswith("#:"):
            comments.insert(0, source[row].strip()[2:].strip())
            row -= 1
        after = body[index + 1] if index + 1 < len(body) else None
        if (
            isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            comments.append(" ".join(after.value.value.split()))
        if comments:
            docs[statement.target.id] = " ".join(comments)
    for item in dataclasses.fields(node):
        # field(metadata={"doc": ...}); Python 3.14 adds field(doc=...)
        doc = item.metadata.get("doc") or item.metadata.get("help") or getattr(item, "doc", None)
        if doc:
            docs[item.name] = " ".join(str(doc).split())
    return docs


def _dataclass_rows(node: Any, prefix: str) -> list[Row]:
    rows: list[Row] = []
    hints = typing.get_type_hints(node)
    docs = field_docs(node)
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
            rows.append((key, _type_name(kind), value, docs.get(field.name, "")))
    return rows


def _yaml_rows(data: Any, prefix: str, docs: dict[str, str], path: str = "") -> list[Row]:
    rows: list[Row] = []
    for key, value in (data or {}).items():
        name, where = f"{prefix}{key}", f"{path}{key}"
        if isinstance(value, dict) and value and "_target_" not in value:
            rows.extend(_yaml_rows(value, name + ".", docs, where + "."))
        else:
            kind = "any" if value is None else type(value).__name__
            rows.append((name, kind, value, docs.get(where, "")))
    return rows


def yaml_comments(text: str) -> dict[str, str]:
    """Dotted key → the comment lines right above it in a YAML file."""
    docs: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    comments: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            text_ = stripped.lstrip("#").strip()
            if not text_.startswith("@package"):
                comments.append(text_)
            continue
        key, colon, _ = stripped.partition(":")
        if not stripped or not colon or stripped.startswith("-") or " " in key:
            comments = []
            continue
        indent = len(line) - len(line.lstrip())
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, key))
        if comments:
            docs[".".join(k for _, k in stack)] = " ".join(comments)
        comments = []
    return docs


def _yaml_file(entry: str, group: str, option: str) -> Any:
    if entry.startswith("pkg://"):
        # One part at a time: a conf folder without __init__.py is a namespace
        # package, whose MultiplexedPath.joinpath takes a single argument.
        folder = resources.files(entry.removeprefix("pkg://")).joinpath(group)
        return folder.joinpath(f"{option}.yaml")
    return Path(entry.removeprefix("file://")) / group / f"{option}.yaml"


def _other_keys_rows(node: type, prefix: str) -> list[Row]:
    """A row for the keys an open node takes besides its declared ones (sklearn)."""
    hints = typing.get_type_hints(node)
    for field in dataclasses.fields(node):
        kind = hints.get(field.name, Any)
        text = getattr(kind, "other_keys", None) if dataclasses.is_dataclass(kind) else None
        if text:
            return [(f"{prefix}{field.name}.*", "other keys", text)]
    return []


def component_options(manager: Any) -> dict[str, list[tuple[str, str, list[Row]]]]:
    """group → [(option, where it comes from, [(key, type, default, description)])]."""
    from omegaconf import OmegaConf

    from harness.contract.manager import searchpath_options

    found: dict[str, dict[str, tuple[str, list[Row]]]] = {g: {} for g in GROUPS}
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
                text = source.read_text(encoding="utf-8")
                data = OmegaConf.to_container(OmegaConf.create(text))
                prefix = (
                    "compute." if group == "compute" else "logger." if group == "logger" else ""
                )
                rows = _yaml_rows(data, prefix, yaml_comments(text))
                found[group][option] = (f"{group}/{option}.yaml", rows)
    return {g: [(o, *found[g][o]) for o in sorted(found[g])] for g in GROUPS}


def print_component_options(manager: Any) -> None:
    print("== Options of each component ==")
    print("Choose one with group=option; override any key below (key=value).\n")
    for group, options in component_options(manager).items():
        for option, source, rows in options:
            print(f"{group}={option}  ({source})")
            for key, kind, default, *doc in rows:
                if kind == "other keys":
                    print(f"  {key}: {default}")
                    continue
                print(f"  {key}: {kind} = {default}")
                if doc and doc[0]:
                    for line in textwrap.wrap(doc[0], width=84):
                        print(f"      {line}")
            print()
