"""The plugin manager: loads every ``harness`` entry point and collects components.

Built-in plugins load exactly like third-party ones, through the entry points the
project declares in its own pyproject.toml. A plugin that fails to load gives one
warning naming it and its distribution; the rest keep working.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from types import ModuleType
from typing import Any

import pluggy

from harness import envvars
from harness.contract import hookspecs
from harness.errors import PluginError, UnknownComponentError

__all__ = [
    "KINDS",
    "HarnessPlugins",
    "PluginInfo",
    "get_plugin_manager",
    "reset_plugin_manager",
]

ENTRY_POINT_GROUP = "harness"
DISABLE_ENV = envvars.DISABLE_PLUGINS
#: Extra plugin modules to load by import name, as pytest's PYTEST_PLUGINS: for
#: testing a plugin without installing it. Job processes inherit it.
EXTRA_ENV = envvars.PLUGINS
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
    #: group → option names found under this plugin's search-path entries.
    config_groups: dict[str, list[str]] = field(default_factory=dict)
    #: Why the plugin did not load (then it has no hooks and no components).
    error: str | None = None
    #: Problems after loading (a failing hook, a duplicate name, a clashing config).
    warnings: list[str] = field(default_factory=list)

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
            "status": "failed" if self.error else "loaded",
            "error": self.error,
            "warnings": self.warnings,
        }


@dataclass
class _Component:
    cls: type
    plugin: str


class HarnessPlugins:
    """A pluggy manager plus the table of registered components built from it."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}
        #: Plugins that failed to load or register, by name (shown by `plugins list`).
        self.failed: dict[str, PluginInfo] = {}
        self.problems: list[str] = []
        #: Entry points skipped because HARNESS_DISABLE_PLUGINS names them: name → module.
        self.disabled: dict[str, str] = {}
        self._components: dict[str, dict[str, _Component]] | None = None

    # -- loading -----------------------------------------------------------
    def load_entry_points(self) -> None:
        disabled = {n.strip() for n in os.environ.get(DISABLE_ENV, "").split(",") if n.strip()}
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
            if ep.name in disabled:
                self.disabled[ep.name] = str(getattr(ep, "value", ep.name))
                continue
            if ep.name in self.infos:
                continue
            dist = getattr(ep, "dist", None)
            self._load_module(
                ep.name,
                str(getattr(ep, "value", ep.name)),
                ep.load,
                distribution=dist.name if dist else None,
                version=dist.version if dist else None,
            )
        for module_name in os.environ.get(EXTRA_ENV, "").split(","):
            module_name = module_name.strip()
            if module_name and module_name not in disabled and module_name not in self.infos:
                self._load_module(
                    module_name,
                    module_name,
                    functools.partial(importlib.import_module, module_name),
                )

    def _load_module(
        self,
        name: str,
        module_name: str,
        load: Callable[[], Any],
        *,
        distribution: str | None = None,
        version: str | None = None,
    ) -> None:
        try:
            module = load()
        except Exception as exc:  # any import failure must not take the CLI down
            info = PluginInfo(name, module_name, distribution, version)
            info.error = describe_failure(exc, name, module_name)
            self.failed[name] = info
            self._warn(f"{self._where(name, info)} failed to load: {info.error}")
            return
        self.register_plugin(module, name, distribution=distribution, version=version)

    def register_plugin(
        self,
        plugin: ModuleType | object,
        name: str,
        *,
        distribution: str | None = None,
        version: str | None = None,
    ) -> bool:
        """Register one plugin object; returns False (with a warning) if it is invalid."""
        module = getattr(plugin, "__name__", type(plugin).__name__)
        try:
            self.pm.register(plugin, name=name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            # pluggy's message spans lines; the CLI promises one line per problem.
            info = PluginInfo(name, module, distribution, version, error=" ".join(str(exc).split()))
            self.failed[name] = info
            self._warn(f"{self._where(name, info)} is invalid: {info.error}")
            return False
        known = _hook_names()
        hooks = sorted(
            impl.name for impl in self.pm.get_hookcallers(plugin) or [] if impl.name in known
        )
        self.infos[name] = PluginInfo(name, module, distribution, version, hooks=hooks)
        self.failed.pop(name, None)
        self._components = None
        self._check_hook_names(plugin, name, known)
        return True

    def _check_hook_names(self, plugin: object, name: str, known: frozenset[str]) -> None:
        """Warn about ``harness_*`` functions the harness will never call: a
        misspelled hook name, or a hook without ``@hookimpl`` (pytest rejects
        unknown ``pytest_*`` hooks the same way)."""
        import difflib

        marker = f"{hookspecs.PROJECT}_impl"
        for attr in sorted(vars(plugin) if isinstance(plugin, ModuleType) else dir(plugin)):
            function = getattr(plugin, attr, None)
            if not attr.startswith("harness_") or not callable(function):
                continue
            if attr not in known:
                close = difflib.get_close_matches(attr, sorted(known), n=1, cutoff=0.6)
                hint = f"; did you mean {close[0]}?" if close else f"; the hooks are in {HOOKS_DOC}"
                self._warn(f"{self._where(name)}: {attr} is not a harness hook{hint}", name)
            elif not hasattr(function, marker):
                self._warn(
                    f"{self._where(name)}: {attr} is not marked @hookimpl, so it is never "
                    "called; decorate it with @hookimpl (from harness import hookimpl)",
                    name,
                )

    def unregister_plugin(self, name: str) -> None:
        plugin = self.pm.get_plugin(name)
        if plugin is not None:
            self.pm.unregister(plugin)
        self.infos.pop(name, None)
        self.failed.pop(name, None)
        self._components = None

    def where(self, plugin: str) -> str:
        """``plugin 'x' (dist 1.0)``: how every message names a plugin."""
        return self._where(plugin)

    def _where(self, name: str, info: PluginInfo | None = None) -> str:
        """``plugin 'x' (dist 1.0)``: how every message names a plugin."""
        info = info or self.infos.get(name) or self.failed.get(name)
        if info is not None and info.distribution:
            return f"plugin '{name}' ({info.distribution} {info.version})"
        return f"plugin '{name}'"

    def _warn(self, message: str, plugin: str | None = None) -> None:
        info = self.infos.get(plugin) if plugin else None
        if info is not None and message not in info.warnings:
            info.warnings.append(message)
        if message in self.problems:  # hooks run more than once per process; say it once
            return
        self.problems.append(message)
        if not os.environ.get(envvars.QUIET_PLUGINS):
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
                # Warn and go on: the plugin's other components still register.
                self._warn(
                    f"{kind} '{name}' is registered by both {self._where(table[name].plugin)} "
                    f"and {self._where(plugin_name)}; the first is used. Uninstall one or "
                    f"disable it with {DISABLE_ENV}={plugin_name}",
                    plugin_name,
                )
                return
            table[name] = _Component(cls, plugin_name)
            added.append(name)

        try:
            impl.function(register=register)
        except PluginError as exc:
            self._warn(str(exc), plugin_name)
        except Exception as exc:
            module = getattr(impl.plugin, "__name__", plugin_name)
            self._warn(
                f"{self._where(plugin_name)} failed in {impl.function.__name__}: "
                f"{describe_failure(exc, plugin_name, module)}",
                plugin_name,
            )
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
            raise UnknownComponentError(kind, name, self.names(kind), self.why_missing(kind, name))
        return entry.cls

    def why_missing(self, kind: str, name: str) -> str | None:
        """Why ``kind=name`` is not available when a plugin seems to offer it: the
        plugin is disabled, or it registers the component but ships no config file."""
        for plugin, module in self.disabled.items():
            if plugin == name or _ships_option(module, kind, name):
                return (
                    f"plugin '{plugin}' provides {kind} '{name}' but is disabled by "
                    f"{DISABLE_ENV}; remove '{plugin}' from that list"
                )
        entry = self.components.get(kind, {}).get(name)
        if entry is None:
            return None
        info = self.infos.get(entry.plugin)
        searchpath = (info.searchpath if info else None) or ["(none)"]
        return (
            f"{kind} '{name}' is registered by {self._where(entry.plugin)}, but no config file "
            f"{kind}/{name}.yaml was found on its config search path "
            f"({', '.join(searchpath)}): the plugin must ship it as package data"
        )

    def plugin_of(self, kind: str, name: str) -> str:
        return self.components[kind][name].plugin

    def describe(self, kind: str, name: str) -> str:
        """``plugin 'x' (dist 1.0)`` for the plugin that registered a component."""
        entry = self.components[kind].get(name)
        return self._where(entry.plugin) if entry is not None else "an unknown plugin"

    def origin(self, kind: str, name: str) -> dict[str, str | None]:
        """Plugin, distribution and version that supplied a component (provenance)."""
        entry = self.components[kind].get(name)
        info = self.infos.get(entry.plugin) if entry is not None else None
        return {
            "plugin": entry.plugin if entry is not None else None,
            "distribution": info.distribution if info is not None else None,
            "version": info.version if info is not None else None,
        }

    # -- config groups ----------------------------------------------------
    def config_schemas(self) -> list[tuple[str, str, type, str]]:
        """(group, option, dataclass, plugin) for every typed option plugins register."""
        found: list[tuple[str, str, type, str]] = []
        for impl in reversed(self.pm.hook.harness_config_schemas.get_hookimpls()):
            plugin = impl.plugin_name
            added: list[tuple[str, str, type, str]] = []

            def register(
                group: str, name: str, node: type, plugin: str = plugin, added: list = added
            ) -> None:
                added.append((str(group), str(name), node, plugin))

            try:
                impl.function(register=register)
            except Exception as exc:
                self._warn(
                    f"{self._where(plugin)} failed in harness_config_schemas: "
                    f"{type(exc).__name__}: {exc}",
                    plugin,
                )
                continue
            found.extend(added)
            info = self.infos.get(plugin)
            if info is not None:
                for group, name, _, _ in added:
                    options = info.config_groups.setdefault(group, [])
                    if name not in options:
                        options.append(name)
        return found

    def config_searchpath(self) -> list[str]:
        entries: list[str] = []
        owners: dict[tuple[str, str], str] = {}
        for impl in reversed(self.pm.hook.harness_config_searchpath.get_hookimpls()):
            try:
                answer: Any = impl.function()
                found = [str(entry) for entry in answer or []]
            except Exception as exc:
                self._warn(
                    f"{self._where(impl.plugin_name)} failed in harness_config_searchpath: {exc}"
                )
                continue
            groups: dict[str, list[str]] = {}
            for entry in found:
                for group, options in searchpath_options(entry).items():
                    groups.setdefault(group, []).extend(options)
            self._check_group_clashes(impl.plugin_name, groups, owners)
            info = self.infos.get(impl.plugin_name)
            if info is not None:
                info.searchpath = found
                info.config_groups = {g: sorted(set(o)) for g, o in sorted(groups.items())}
            entries.extend(found)
        return entries

    def _check_group_clashes(
        self, plugin_name: str, groups: dict[str, list[str]], owners: dict[tuple[str, str], str]
    ) -> None:
        """Two plugins shipping the same ``group/option``: Hydra would silently use
        the first on the search path, so say so, naming both."""
        for group, options in groups.items():
            for option in set(options):
                first = owners.setdefault((group, option), plugin_name)
                if first != plugin_name:
                    self._warn(
                        f"config option '{group}/{option}' of {self._where(plugin_name)} clashes "
                        f"with the one of {self._where(first)}; `{group}={option}` composes "
                        f"plugin '{first}'s file. Rename one, or disable one with "
                        f"{DISABLE_ENV}={plugin_name}",
                        plugin_name,
                    )

    def plugins(self) -> Iterable[PluginInfo]:
        _ = self.components  # fills PluginInfo.components
        self.config_searchpath()
        self.config_schemas()  # typed options count as config groups too
        return self.infos.values()


_MANAGER: HarnessPlugins | None = None
HOOKS_DOC = "docs/plugins.md (harness.contract.hookspecs)"


def _hook_names() -> frozenset[str]:
    return frozenset(hookspecs._hook_names())


def _ships_option(module: str, group: str, option: str) -> bool:
    """Whether a (not imported) plugin package has ``conf/GROUP/OPTION.yaml``."""
    import importlib.util
    from pathlib import Path

    try:
        spec = importlib.util.find_spec(module.split(":")[0])
    except (ImportError, ValueError):
        return False
    for folder in (spec.submodule_search_locations or []) if spec else []:
        if (Path(folder) / "conf" / group / f"{option}.yaml").is_file():
            return True
    return False


def searchpath_options(entry: str) -> dict[str, list[str]]:
    """Group → option names (``*.yaml``) under one ``pkg://`` or ``file://`` entry."""
    from importlib import resources
    from pathlib import Path

    try:
        if entry.startswith("pkg://"):
            root: Any = resources.files(entry.removeprefix("pkg://"))
        elif entry.startswith("file://"):
            root = Path(entry.removeprefix("file://"))
        else:
            return {}
        groups = {
            folder.name: sorted(
                p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml")
            )
            for folder in root.iterdir()
            if folder.is_dir() and not folder.name.startswith(("_", "."))
        }
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError, TypeError):
        return {}
    return {group: options for group, options in groups.items() if options}


def describe_failure(exc: BaseException, plugin: str, module: str) -> str:
    """One line for a plugin's failure; a missing third-party module says what to do."""
    missing = getattr(exc, "name", None) if isinstance(exc, ModuleNotFoundError) else None
    own = module.split(":")[0].split(".")[0]
    if missing and missing.split(".")[0] != own:
        return (
            f"it needs the module '{missing}', which is not installed. Install the "
            f"plugin's optional dependencies (see its README), or disable it with "
            f"{DISABLE_ENV}={plugin}"
        )
    return f"{type(exc).__name__}: {exc}"


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
