"""Shared by the shim's modules: one-time warnings and one-line refusals."""

from __future__ import annotations

import sys
from typing import Any

from harness.errors import HarnessError

_warned: set[str] = set()


class UnsupportedError(HarnessError):
    """A v1 feature that has no local equivalent; the message names the alternative."""


def warn_once(key: str, message: str) -> None:
    if key not in _warned:
        _warned.add(key)
        print(f"harness: warning: {message}", file=sys.stderr, flush=True)


def refuse(what: str, instead: str) -> UnsupportedError:
    return UnsupportedError(f"{what} is not available locally; {instead}")


def ignored(what: str, value: Any, why: str = "it has no local meaning") -> None:
    """An accepted-and-ignored argument: one warning per kind of argument."""
    if value not in (None, False, "", [], {}, ()):
        warn_once(f"ignored:{what}", f"{what}={value!r} is ignored ({why})")


class Details(dict):
    """``get_details()``'s dict; keys also read as attributes (``.status``)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None
