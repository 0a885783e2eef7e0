"""What the harness knows about one plugin, and how every message names it.

``plugin 'x' (harness-x 1.0)`` is the one way a plugin is named in a warning, an
error or ``harness plugins show``: its entry-point name, then its distribution and
version, so the user knows what to upgrade, uninstall or disable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness import envvars

__all__ = ["KINDS", "PluginInfo", "describe_failure", "one_line"]

#: kind → the registration hook that fills it.
KINDS: dict[str, str] = {
    "estimator": "harness_register_estimators",
    "datastore": "harness_register_datastores",
    "compute": "harness_register_computes",
    "logger": "harness_register_loggers",
}

LOADED, FAILED, DISABLED = "loaded", "failed", "disabled"


@dataclass
class PluginInfo:
    """What ``harness plugins list`` shows about one plugin."""

    name: str
    module: str
    distribution: str | None = None
    version: str | None = None
    components: dict[str, list[str]] = field(default_factory=dict)
    searchpath: list[str] = field(default_factory=list)
    hooks: list[str] = field(default_factory=list)
    #: group → option names found under this plugin's search-path entries or
    #: registered as typed options.
    config_groups: dict[str, list[str]] = field(default_factory=dict)
    #: Why the plugin is out of this command (failed to import, refused, a hook or
    #: a registration failed); None while it works.
    error: str | None = None
    #: The one line that said so: ``plugin 'x' (dist 1.0) failed in HOOK: reason``.
    message: str | None = None
    #: Problems that leave it working (a duplicate name, a clashing config file).
    warnings: list[str] = field(default_factory=list)
    #: Skipped by HARNESS_DISABLE_PLUGINS, HARNESS_PLUGINS_ALLOW or ``-p no:NAME``.
    disabled_by: str | None = None
    #: Seconds its entry point took to import (None: not imported by the harness).
    import_s: float | None = None
    #: Seconds spent in each of its hooks so far in this process.
    hook_s: dict[str, float] = field(default_factory=dict)

    @property
    def where(self) -> str:
        """``plugin 'x' (dist 1.0)``: how every message names a plugin."""
        if self.distribution:
            return f"plugin '{self.name}' ({self.distribution} {self.version})"
        return f"plugin '{self.name}'"

    @property
    def status(self) -> str:
        return DISABLED if self.disabled_by else FAILED if self.error else LOADED

    @property
    def kinds(self) -> list[str]:
        return [kind for kind in KINDS if self.components.get(kind)]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "module": self.module,
            "distribution": self.distribution,
            "version": self.version,
            "kinds": self.kinds,
            "components": {k: v for k, v in self.components.items() if v},
            "config_searchpath": self.searchpath,
            "config_groups": self.config_groups,
            "hooks": self.hooks,
            "status": self.status,
            "error": self.error,
            "disabled_by": self.disabled_by,
            "warnings": self.warnings,
            "import_ms": None if self.import_s is None else round(self.import_s * 1000, 1),
            "hooks_ms": {hook: round(s * 1000, 1) for hook, s in sorted(self.hook_s.items())},
        }


def one_line(text: str) -> str:
    """A message folded onto one line (pluggy's and OmegaConf's span several)."""
    return " ".join(str(text).split())


def describe_failure(exc: BaseException, plugin: str, module: str) -> str:
    """One line for a plugin's failure; a missing third-party module says what to do."""
    missing = getattr(exc, "name", None) if isinstance(exc, ModuleNotFoundError) else None
    own = module.split(":")[0].split(".")[0]
    if missing and missing.split(".")[0] != own:
        return (
            f"it needs the module '{missing}', which is not installed. Install the "
            f"plugin's optional dependencies (see its README), or disable it with "
            f"{envvars.DISABLE_PLUGINS}={plugin}"
        )
    return one_line(f"{type(exc).__name__}: {exc}")
