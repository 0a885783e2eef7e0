"""The plugin manager: loads every ``harness`` entry point and collects components.

Built-in plugins load exactly like third-party ones, through the entry points the
project declares in its own pyproject.toml. A plugin that fails to load gives one
warning naming it and its distribution; the rest keep working.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from types import ModuleType
from typing import Any

import pluggy

from harness import hookspecs
from harness.errors import PluginError, UnknownComponentError

__all__ = [
    "KINDS",
    "HarnessPlugins",
    "PluginInfo",
    "get_plugin_manager",
    "reset_plugin_manager",
]

ENTRY_POINT_GROUP = "harness"
DISABLE_ENV = "HARNESS_DISABLE_PLUGINS"
#: kind → the registration hook that fills it.
KINDS: dict[str, str] = {
    "estimator": "harness_register_estimators",
    "datastore": "harness_register_datastores",
    "compute": "harness_register_computes",
    "logger": "harness_register_loggers",
}


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
            "hooks": self.hooks,
        }


@dataclass
class _Component:
    cls: type
    plugin: str


class HarnessPlugins:
    """A pluggy manager plus the component registry built from it."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}
        self.problems: list[str] = []
        self._components: dict[str, dict[str, _Component]] | None = None

    # -- loading -----------------------------------------------------------
    def load_entry_points(self) -> None:
        disabled = {n.strip() for n in os.environ.get(DISABLE_ENV, "").split(",") if n.strip()}
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
            if ep.name in disabled or ep.name in self.infos:
                continue
            dist = getattr(ep, "dist", None)
            where = (
                f"plugin '{ep.name}' ({dist.name} {dist.version})"
                if dist
                else f"plugin '{ep.name}'"
            )
            try:
                module = ep.load()
            except Exception as exc:  # any import failure must not take the CLI down
                self._warn(f"{where} failed to load: {type(exc).__name__}: {exc}")
                continue
            self.register_plugin(
                module,
                ep.name,
                distribution=dist.name if dist else None,
                version=dist.version if dist else None,
            )

    def register_plugin(
        self,
        plugin: ModuleType | object,
        name: str,
        *,
        distribution: str | None = None,
        version: str | None = None,
    ) -> bool:
        """Register one plugin object; returns False (with a warning) if it is invalid."""
        where = f"plugin '{name}'" + (f" ({distribution} {version})" if distribution else "")
        try:
            self.pm.register(plugin, name=name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            self._warn(f"{where} is invalid: {exc}")
            return False
        module = getattr(plugin, "__name__", type(plugin).__name__)
        hooks = sorted(impl.name for impl in self.pm.get_hookcallers(plugin) or [])
        self.infos[name] = PluginInfo(name, module, distribution, version, hooks=hooks)
        self._components = None
        return True

    def unregister_plugin(self, name: str) -> None:
        plugin = self.pm.get_plugin(name)
        if plugin is not None:
            self.pm.unregister(plugin)
        self.infos.pop(name, None)
        self._components = None

    def _warn(self, message: str) -> None:
        self.problems.append(message)
        if not os.environ.get("HARNESS_QUIET_PLUGINS"):
            print(f"harness: warning: {message}", file=sys.stderr)

    # -- components --------------------------------------------------------
    def _build_components(self) -> dict[str, dict[str, _Component]]:
        components: dict[str, dict[str, _Component]] = {kind: {} for kind in KINDS}
        for info in self.infos.values():
            info.components = {}
        for kind, hook_name in KINDS.items():
            caller = getattr(self.pm.hook, hook_name)
            # Call each implementation alone so every component is attributed to
            # the plugin that registered it, and one broken plugin spoils nothing else.
            for impl in reversed(caller.get_hookimpls()):
                self._collect(kind, impl, components[kind])
        return components

    def _collect(self, kind: str, impl: Any, table: dict[str, _Component]) -> None:
        plugin_name = impl.plugin_name
        added: list[str] = []

        def register(name: str, cls: type) -> None:
            if not isinstance(name, str) or not name:
                raise PluginError(f"plugin '{plugin_name}' registered a {kind} without a name")
            if name in table:
                raise PluginError(
                    f"{kind} '{name}' is registered by both plugin '{table[name].plugin}' "
                    f"and plugin '{plugin_name}'; uninstall one or disable it with "
                    f"{DISABLE_ENV}={plugin_name}"
                )
            table[name] = _Component(cls, plugin_name)
            added.append(name)

        try:
            impl.function(register=register)
        except PluginError as exc:
            self._warn(str(exc))
        except Exception as exc:
            self._warn(f"plugin '{plugin_name}' failed in {impl.function.__name__}: {exc}")
        info = self.infos.get(plugin_name)
        if info is not None:
            info.components.setdefault(kind, []).extend(added)

    @property
    def components(self) -> dict[str, dict[str, _Component]]:
        if self._components is None:
            self._components = self._build_components()
        return self._components

    def names(self, kind: str) -> list[str]:
        return sorted(self.components[kind])

    def get(self, kind: str, name: str) -> type:
        """The class registered as ``name`` for ``kind``, or UnknownComponentError."""
        entry = self.components[kind].get(name)
        if entry is None:
            raise UnknownComponentError(kind, name, self.names(kind))
        return entry.cls

    def plugin_of(self, kind: str, name: str) -> str:
        return self.components[kind][name].plugin

    # -- config groups ----------------------------------------------------
    def config_searchpath(self) -> list[str]:
        entries: list[str] = []
        for impl in reversed(self.pm.hook.harness_config_searchpath.get_hookimpls()):
            try:
                found = list(impl.function() or [])
            except Exception as exc:
                self._warn(
                    f"plugin '{impl.plugin_name}' failed in harness_config_searchpath: {exc}"
                )
                continue
            info = self.infos.get(impl.plugin_name)
            if info is not None:
                info.searchpath = found
            entries.extend(found)
        return entries

    def plugins(self) -> Iterable[PluginInfo]:
        _ = self.components  # fills PluginInfo.components
        self.config_searchpath()
        return self.infos.values()


_MANAGER: HarnessPlugins | None = None


def get_plugin_manager() -> HarnessPlugins:
    """The process-wide plugin manager, built (and entry points loaded) on first use."""
    global _MANAGER
    if _MANAGER is None:
        manager = HarnessPlugins()
        manager.load_entry_points()
        _MANAGER = manager
    return _MANAGER


def reset_plugin_manager() -> None:
    """Forget the manager so the next call rebuilds it (tests, long sessions)."""
    global _MANAGER
    _MANAGER = None
