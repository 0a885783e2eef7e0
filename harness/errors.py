"""Errors that mean "the user asked for something wrong".

The CLI prints a HarnessError as one or two lines without a traceback and exits 2.
Anything else that escapes is a bug and keeps its traceback.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "HarnessError",
    "NotFoundError",
    "PluginError",
    "UnknownComponentError",
]


class HarnessError(Exception):
    """A user's mistake: bad config, missing path, unknown plugin. Exit code 2."""

    exit_code = 2


class ConfigError(HarnessError):
    """A config value is missing, of the wrong type, or rejected by a component."""


class NotFoundError(HarnessError):
    """A run, model, file or path that the user named does not exist."""


class PluginError(HarnessError):
    """A plugin broke the contract (duplicate names, bad hook arguments)."""


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
