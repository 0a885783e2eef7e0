"""Errors that mean "the user asked for something wrong".

The CLI prints a HarnessError as one or two lines without a traceback and exits 2.
Anything else that escapes is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys

__all__ = [
    "ComponentFailure",
    "ConfigError",
    "DamagedRecordError",
    "HarnessError",
    "NotFoundError",
    "PluginError",
    "UnknownComponentError",
    "warn",
    "warn_once",
]


class HarnessError(Exception):
    """A user's mistake: bad config, missing path, unknown plugin. Exit code 2."""

    exit_code = 2


class ConfigError(HarnessError):
    """A config value is missing, of the wrong type, or rejected by a component."""


class NotFoundError(HarnessError):
    """A run, model, file or path that the user named does not exist."""


class DamagedRecordError(HarnessError):
    """A workspace record (run.json, model.json, registry.json, …) that cannot be read.

    Listings skip it with a warning naming the file; commands on that one record say
    so in one line; ``harness doctor`` repairs or removes it.
    """


class PluginError(HarnessError):
    """A plugin broke the contract (duplicate names, bad hook arguments)."""


class ComponentFailure(PluginError):
    """A registered component's own code raised (a bug in its plugin, not the user's
    mistake): the message is one line naming the component, its plugin, distribution
    and version, and the method. ``cause`` is the exception; where a run exists, the
    run ends ``Failed`` (exit 1) and the traceback is kept in its ``logs/``."""

    def __init__(self, message: str, cause: BaseException) -> None:
        super().__init__(message)
        self.cause = cause


class UnknownComponentError(ConfigError):
    """A component name that no loaded plugin registered."""

    def __init__(
        self, kind: str, name: str, available: list[str], reason: str | None = None
    ) -> None:
        self.kind, self.name, self.available = kind, name, available
        if reason:  # e.g. its plugin is disabled, or ships no config file
            super().__init__(f"{kind} '{name}' is not available: {reason}")
            return
        choices = ", ".join(sorted(available)) or "(none loaded)"
        super().__init__(f"unknown {kind} '{name}'. Available: {choices}")


def warn(message: str) -> None:
    """One ``harness: warning:`` line on stderr, for layers below the CLI (the stores
    warn about a damaged record they skip) without importing the CLI's printers."""
    print(f"harness: warning: {message}", file=sys.stderr)


_warned: set[str] = set()


def warn_once(message: str) -> None:
    """``warn``, but each message once per process: a listing reads a record more
    than once (a sweep's links for its row and its summary), and a long-lived
    process (the dashboard) would repeat the line on every request."""
    if message not in _warned:
        _warned.add(message)
        warn(message)
