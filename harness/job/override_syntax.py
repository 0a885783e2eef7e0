"""The syntax check of command-line overrides, before Hydra sees them.

Every way into a job (``harness train``, ``-m`` sweeps, ``runs rerun``, ``sweeps
resume``, the Python API's submit, which runs ``harness train``) passes its overrides
through ``harness.commands.train.main``, which calls ``check`` first. Hydra's own
report of a malformed override is ANTLR's (``no viable alternative at input
'[1,2'``) without the key; this says which override and key, what is wrong and how
to write it, in one line (a ``ConfigError``: exit 2). ``HYDRA_FULL_ERROR=1`` skips
the check, so Hydra's full report is still there to see.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from harness.errors import ConfigError

GRAMMAR_DOCS = "https://hydra.cc/docs/advanced/override_grammar/basic/"
_CLOSERS = {"[": "]", "{": "}", "(": ")"}


def check(args: Iterable[str]) -> None:
    """Raise ``ConfigError`` for the first override Hydra's grammar cannot parse."""
    if os.environ.get("HYDRA_FULL_ERROR"):
        return
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    parser = OverridesParser.create()
    previous = ""
    for arg in args:
        if arg.startswith("-") or ("=" not in arg and previous.startswith("-")):
            previous = arg  # a Hydra flag, or the value of one (`--cfg job`)
            continue
        previous = arg
        try:
            parsed = parser.parse_override(arg)
        except HydraException as exc:
            raise ConfigError(describe(arg, str(exc))) from None
        if not parsed.key_or_group:
            raise ConfigError(f"override '{arg}' has no key: write KEY=VALUE (e.g. lr=0.01)")


def describe(arg: str, reason: str) -> str:
    """One line: the override, its key, what is wrong, and how to write it."""
    if "=" not in arg:
        return (
            f"'{arg}' is not an override: write KEY=VALUE (e.g. {arg}=VALUE), "
            f"or ~{arg} to remove a key"
        )
    key, value = arg.split("=", 1)
    name = key.lstrip("+~") or "(none)"
    problem = _bracket_problem(value) or _quote_problem(value)
    hint = f"to pass it as text, quote the value: {_quoted(key, value)}"
    closed = _closed(value)
    if problem and closed != value and _bracket_problem(closed) is None:
        hint = f"close it ({key}={closed}) or, {hint}"
    what = problem or f"is not valid override syntax ({reason.strip()})"
    verb = "has " if problem else ""
    return f"override '{arg}': the value of {name} {verb}{what}; {hint} (see {GRAMMAR_DOCS})"


def _bracket_problem(value: str) -> str | None:
    stack: list[str] = []
    quote = ""
    for char in value:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in _CLOSERS:
            stack.append(char)
        elif char in _CLOSERS.values():
            if not stack or _CLOSERS[stack[-1]] != char:
                return f"a '{char}' without its opening bracket"
            stack.pop()
    return f"an unclosed '{stack[-1]}'" if stack else None


def _quote_problem(value: str) -> str | None:
    for quote in ("'", '"'):
        if value.count(quote) % 2:
            return f"an unclosed {quote} quote"
    return None


def _closed(value: str) -> str:
    stack = [c for c in value if c in _CLOSERS or c in _CLOSERS.values()]
    opened: list[str] = []
    for char in stack:
        if char in _CLOSERS:
            opened.append(char)
        elif opened:
            opened.pop()
    return value + "".join(_CLOSERS[c] for c in reversed(opened))


def _quoted(key: str, value: str) -> str:
    """The override with its value in Hydra's double quotes, quoted again for a
    POSIX shell so that the shell passes Hydra's quotes through."""
    hydra_value = value.replace("\\", "\\\\").replace('"', '\\"')
    if "'" not in hydra_value:
        return f"'{key}=\"{hydra_value}\"'"
    shell = hydra_value.replace("\\", "\\\\").replace('"', '\\"')
    shell = shell.replace("$", "\\$").replace("`", "\\`")
    return f'"{key}=\\"{shell}\\""'
