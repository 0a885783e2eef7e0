"""``script_params`` and ``arguments`` → the script's command line.

``script_params`` is a mapping, as Azure ML's Estimator took it: each key becomes a
flag (``--key``, or the key itself when it already starts with ``-``):

- a scalar → ``--key value`` (``str(value)``: ``0.003`` → ``0.003``),
- ``true`` → ``--key`` alone (argparse ``action="store_true"``),
- ``false`` or ``null`` → left out,
- a list → ``--key v1 v2 ...`` (argparse ``nargs="+"``),
- a mapping → ``--key '<json>'``.

``arguments`` is a list passed as-is after them, as ScriptRunConfig's ``arguments``
was; booleans are written ``true``/``false``. Quote a value in the override to
keep its exact spelling (``'1e-3'``, not ``0.001``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from harness.errors import ConfigError


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _check_scalar(where: str, value: Any) -> None:
    if isinstance(value, (Mapping, list, tuple)):
        raise ConfigError(f"{where}: expected a plain value, got {value!r}")


def build_argv(
    script_params: Mapping[str, Any] | None, arguments: Sequence[Any] | None
) -> list[str]:
    """The argument list after the script's name; raises ConfigError on a bad shape."""
    if script_params is not None and not isinstance(script_params, Mapping):
        raise ConfigError(
            f"estimator.script_params must be a mapping (key: value), got {script_params!r}; "
            "for a plain list use estimator.arguments=[...]"
        )
    if arguments is not None and (
        isinstance(arguments, (str, bytes, Mapping)) or not isinstance(arguments, Sequence)
    ):
        raise ConfigError(
            f"estimator.arguments must be a list, got {arguments!r}; "
            "write estimator.arguments='[--epochs,3]'"
        )
    argv: list[str] = []
    for key, value in (script_params or {}).items():
        flag = key if str(key).startswith("-") else f"--{key}"
        if value is True:
            argv.append(flag)
        elif value is False or value is None:
            continue
        elif isinstance(value, Mapping):
            argv += [flag, json.dumps(dict(value))]
        elif isinstance(value, (list, tuple)):
            for item in value:
                _check_scalar(f"estimator.script_params.{key}", item)
            argv += [flag, *(_text(item) for item in value)]
        else:
            argv += [flag, _text(value)]
    for index, item in enumerate(arguments or []):
        _check_scalar(f"estimator.arguments[{index}]", item)
        argv.append(_text(item))
    return argv
