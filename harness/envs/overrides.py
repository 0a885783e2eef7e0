"""Let ``estimator.environment`` overrides be typed as people write requirements.

Hydra's override grammar reserves ``=``, ``<``, ``>``, ``!``, ``~``, ``;`` and ``@``
outside quotes, so ``+estimator.environment.pip_packages=[tabulate==0.9.0]`` or
``[numpy<2]`` would be a grammar error. For the environment's keys only, the
harness quotes each unquoted element before Hydra parses the line.
"""

from __future__ import annotations

import re

_KEY = re.compile(r"^(\+{0,2}estimator\.environment(?:\.[A-Za-z_]\w*)?)=(.*)$", re.S)
_SPECIAL = re.compile(r"[=<>!~;@:,\s*]")


def quote_environment_overrides(args: list[str]) -> list[str]:
    return [_quote(arg) for arg in args]


def _quote(arg: str) -> str:
    match = _KEY.match(arg)
    if not match:
        return arg
    key, value = match.group(1), match.group(2).strip()
    if value.startswith("{") or "${" in value:
        return arg  # a mapping or an interpolation: Hydra's own syntax
    if value.startswith("[") and value.endswith("]"):
        items = [item.strip() for item in _split(value[1:-1])]
        return f"{key}=[{','.join(_quote_item(i) for i in items if i)}]"
    if key.endswith(".environment") and "," in value:
        return arg  # a multirun over environment names
    if key.endswith(".python") and value and value[0] not in "'\"":
        return f"{key}='{value}'"  # 3.10 stays a version, not the float 3.1
    return f"{key}={_quote_item(value)}"


def _quote_item(item: str) -> str:
    if not item or item[0] in "'\"" or not _SPECIAL.search(item):
        return item
    return "'" + item.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _split(body: str) -> list[str]:
    """Split on commas outside quotes and outside a requirement's ``[extras]``."""
    parts, current, quote, depth = [], "", "", 0
    for char in body:
        if quote:
            current += char
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
            current += char
        elif char == "[":
            depth += 1
            current += char
        elif char == "]":
            depth -= 1
            current += char
        elif char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts
