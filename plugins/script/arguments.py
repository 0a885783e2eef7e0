"""``script_params`` and ``arguments`` → the script's command line.

``arguments`` is a list passed as-is, as ScriptRunConfig's ``arguments`` was;
booleans are written ``true``/``false``. Quote a value in the override to keep its
exact spelling (``'1e-3'``, not ``0.001``).

``script_params`` is a mapping, as Azure ML's Estimator took it: each key is a
flag (``--key``, or the key itself when it already starts with ``-``):

- a scalar → ``--key value`` (``str(value)``: ``0.003`` → ``0.003``),
- ``true`` → ``--key`` alone (argparse ``action="store_true"``),
- ``false`` or ``null`` → left out,
- a list → ``--key v1 v2 ...`` (argparse ``nargs="+"``),
- a mapping → ``--key '<json>'``.

**One value per flag.** A flag of ``script_params`` that ``arguments`` already
holds (``--key value`` or ``--key=value``) replaces its value there, in place;
the others follow ``arguments``. So a value set on the command line
(``+estimator.script_params.lr=0.1``) or sampled by a sweep wins over the one
written in ``arguments``, as Azure ML's HyperDrive passed each sampled value to
the script. Emitting both would let argparse keep whichever comes last: a sweep
whose every child silently trained the base value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from harness.errors import ConfigError

#: What argparse takes for a negative number rather than an option (its own rule).
_NEGATIVE_NUMBER = re.compile(r"^-\d+$|^-\d*\.\d+$")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _check_scalar(where: str, value: Any) -> None:
    if isinstance(value, (Mapping, list, tuple)):
        raise ConfigError(f"{where}: expected a plain value, got {value!r}")


def _is_option(token: str) -> bool:
    """A token argparse reads as an option string, not as a value."""
    return token.startswith("-") and len(token) > 1 and not _NEGATIVE_NUMBER.match(token)


def _flag(key: Any) -> str:
    return str(key) if str(key).startswith("-") else f"--{key}"


def _param_tokens(key: Any, value: Any) -> list[str]:
    """One ``script_params`` entry as the tokens it stands for (``[]``: left out)."""
    flag = _flag(key)
    if value is True:
        return [flag]
    if value is False or value is None:
        return []
    if isinstance(value, Mapping):
        return [flag, json.dumps(dict(value))]
    if isinstance(value, (list, tuple)):
        for item in value:
            _check_scalar(f"estimator.script_params.{key}", item)
        return [flag, *(_text(item) for item in value)]
    return [flag, _text(value)]


def _replace(argv: list[str], flag: str, key: Any, value: Any) -> bool:
    """Give every occurrence of ``flag`` in ``argv`` the value ``value``; False if none.

    ``--flag=old`` → ``--flag=new``; ``--flag old`` → ``--flag new``. A scalar
    replaces one value token (or is inserted when the flag stood alone), a list
    replaces every value token up to the next option; ``true`` keeps the bare flag
    and leaves what follows alone (it may be a positional argument); ``false`` or
    ``null`` removes the flag with its value.
    """
    found = False
    index = 0
    while index < len(argv):
        token = argv[index]
        if token == "--":  # everything after it is positional
            break
        if token.startswith(flag + "="):
            found = True
            tokens = _param_tokens(key, value)
            if len(tokens) == 2:
                tokens = [f"{flag}={tokens[1]}"]
            argv[index : index + 1] = tokens
            index += len(tokens)
            continue
        if token != flag:
            index += 1
            continue
        found = True
        end = index + 1
        if value is not True:
            many = isinstance(value, (list, tuple))
            while end < len(argv) and argv[end] != "--" and not _is_option(argv[end]):
                end += 1
                if not many:
                    break
        tokens = _param_tokens(key, value)
        argv[index:end] = tokens
        index += len(tokens)
    return found


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
    for index, item in enumerate(arguments or []):
        _check_scalar(f"estimator.arguments[{index}]", item)
        argv.append(_text(item))
    added: list[str] = []
    for key, value in (script_params or {}).items():
        if not _replace(argv, _flag(key), key, value):
            added += _param_tokens(key, value)
    # New flags go after the arguments, but before a `--` that ends the options.
    end = argv.index("--") if "--" in argv else len(argv)
    argv[end:end] = added
    return argv
