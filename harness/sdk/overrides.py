"""Python values → Hydra override text.

The Python API builds the same overrides a user would type after ``harness train``
and hands them to the same driver, so the CLI and the API share one code path.
Strings are always quoted, so no user text is parsed as Hydra syntax; ``${...}``
in a user's string is escaped unless it is an interpolation the API made itself.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from harness.errors import ConfigError

#: A key Hydra's override grammar accepts unquoted (dotted parts).
_KEY = re.compile(r"^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$")


class Interpolation(str):
    """A string the API built as an OmegaConf interpolation (``${datastore:...}``);
    it is passed through unescaped."""


def check_key(key: str, what: str = "config key") -> str:
    if not _KEY.fullmatch(key):
        raise ConfigError(
            f"{what} '{key}' cannot be passed to the config: use letters, digits, '_' and '-'"
        )
    return key


def quote(text: str, interpolate: bool = False) -> str:
    """A Hydra single-quoted string; ``\\`` and ``'`` escaped, ``${`` too unless wanted."""
    escaped = text.replace("\\", "\\\\").replace("'", "\\'")
    if not interpolate:
        escaped = escaped.replace("${", "\\${")
    return f"'{escaped}'"


def value(item: Any) -> str:
    """Any plain Python value (or DataReference) as Hydra override text."""
    if hasattr(item, "to_config_value"):
        item = item.to_config_value()
    if isinstance(item, Interpolation):
        return quote(str(item), interpolate=True)
    if item is None:
        return "null"
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, int):
        return str(item)
    if isinstance(item, float):
        if not math.isfinite(item):
            raise ConfigError(f"{item!r} is not a number the config can hold")
        return repr(item)
    if isinstance(item, str):
        return quote(item)
    if isinstance(item, Mapping):
        parts = [f"{check_key(str(k), 'mapping key')}:{value(v)}" for k, v in item.items()]
        return "{" + ",".join(parts) + "}"
    if isinstance(item, Sequence) and not isinstance(item, (bytes, bytearray)):
        return "[" + ",".join(value(v) for v in item) + "]"
    if hasattr(item, "item") and callable(item.item):  # numpy scalars
        return value(item.item())
    raise ConfigError(f"cannot pass a {type(item).__name__} ({item!r}) into the config")


def text(item: Any) -> Any:
    """A script argument as v1 passed it: ``str(value)``; data references stay
    interpolations so the driver resolves them."""
    if hasattr(item, "to_config_value"):
        return item.to_config_value()
    if isinstance(item, bool | int | float):
        return str(item)
    if isinstance(item, str):
        return item
    if hasattr(item, "item") and callable(item.item):
        return str(item.item())
    raise ConfigError(
        f"script argument {item!r} ({type(item).__name__}) is not a number, string or data path"
    )


def assign(key: str, item: Any) -> str:
    """``++key=value``: set the key whether or not the composed config has it."""
    return f"++{check_key(key)}={value(item)}"
