"""The plugin manager: pluggy's ``PluginManager``, subclassed as pytest does.

Built-in plugins load exactly like third-party ones, through the entry points the
project declares in its own pyproject.toml (order and skipping: ``loading``).
Every hook is called through ``self.hook`` (pluggy's relay), so ``wrapper=True``
implementations, ``set_blocked`` and call monitoring work; the harness calls them
through the typed methods below (``before_run(record)``, ``worker_start(run)``,
...), never by a hook name spelled as a string.

One broken plugin never breaks the command: each implementation is guarded
(``guard``), registrations are checked (``registration``), and a failure at import,
in a hook or in a registration disables that plugin for the command, with one
warning naming the plugin, its distribution and version, and the hook. Choosing a
component of a disabled plugin fails with that line.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pluggy

from harness import envvars
from harness.contract import guard, hookspecs, loading
from harness.contract.component_table import Component, ComponentTable
from harness.contract.config_groups import searchpath_options
from harness.contract.config_hooks import ConfigHooks
from harness.contract.plugin_info import KINDS, PluginInfo, describe_failure, one_line
from harness.errors import PluginError

if TYPE_CHECKING:
    from harness.run.context import Run
    from harness.run.record import RunRecord

__all__ = [
    "ENTRY_POINT_GROUP",
    "KINDS",
    "HarnessPluginManager",
    "HarnessPlugins",
    "PluginInfo",
    "describe_failure",
    "get_plugin_manager",
    "reset_plugin_manager",
    "searchpath_options",
]

ENTRY_POINT_GROUP = loading.ENTRY_POINT_GROUP
DISABLE_ENV = envvars.DISABLE_PLUGINS
HOOKS_DOC = "docs/plugins.md (harness.contract.hookspecs)"
#: Hooks every process calls alike: a failure there is said once, by the driver.
_LOAD_TIME_HOOKS = frozenset(
    [*KINDS.values(), "harness_config_searchpath", "harness_config_schemas"]
)


class HarnessPluginManager(ComponentTable, ConfigHooks):
    """pluggy's manager plus what the harness knows about each plugin and the table
    of registered components built from the registration hooks."""

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT)
        self.add_hookspecs(hookspecs)
        #: Every plugin this command knows of, in load order (loaded, failed, disabled).
        self.infos: dict[str, PluginInfo] = {}
        #: Every warning said so far (once each).
        self.problems: list[str] = []
        self._components: dict[str, dict[str, Component]] = {}
        self._schemas: list[tuple[str, str, type, str]] | None = None
        #: (kind, name) → plugin, for a component a failed plugin registered or tried to.
        self._broken: dict[tuple[str, str], str] = {}
        #: (plugin, answer) of each plain implementation while a facade method collects.
        self._answers: list[tuple[str, Any]] | None = None
        self._tracer = None
        if os.environ.get(envvars.TRACE_PLUGINS, "") not in ("", "0"):
            from harness.contract.trace import Tracer

            self._tracer = Tracer(self.where)
            self.add_hookcall_monitoring(self._tracer.before, self._tracer.after)

    # -- loading -----------------------------------------------------------
    def load_entry_points(self) -> None:
        """Load every plugin of this command (``loading`` says which, in which order)."""
        for candidate in loading.candidates():
            if candidate.name in self.infos:
                continue
            info = PluginInfo(
                candidate.name, candidate.module, candidate.distribution, candidate.version
            )
            self.infos[candidate.name] = info
            for other in candidate.shadowed:
                self._warn(
                    f"{info.where} and {other} declare the same plugin name "
                    f"'{candidate.name}'; only the first is loaded (the first on sys.path). "
                    "Uninstall one",
                    candidate.name,
                )
            info.disabled_by = loading.skip_reason(candidate)
            if info.disabled_by:
                continue
            problem = loading.incompatibility(candidate)
            if problem:
                self._fail(candidate.name, "is not compatible with this harness", problem)
                continue
            start = time.perf_counter()
            try:
                plugin = candidate.load()
            except (Exception, SystemExit) as exc:  # any import failure: warn, go on
                info.import_s = time.perf_counter() - start
                reason = describe_failure(exc, candidate.name, candidate.module)
                self._fail(candidate.name, "failed to load", reason, exc)
                continue
            info.import_s = time.perf_counter() - start
            if self._tracer:
                self._tracer.imported(candidate.name, info.import_s)
            self.register_plugin(plugin, candidate.name)

    def register_plugin(
        self,
        plugin: ModuleType | object,
        name: str,
        *,
        distribution: str | None = None,
        version: str | None = None,
    ) -> bool:
        """Register one plugin object; returns False (with a warning) if it is invalid."""
        info = self.infos.get(name)
        if info is None:
            info = PluginInfo(name, _module_of(plugin), distribution, version)
            self.infos[name] = info
        try:
            self.register(plugin, name=name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            # pluggy's message spans lines; the CLI promises one line per problem.
            self._fail(name, "is invalid", one_line(str(exc)))
            return False
        return True

    def register(self, plugin: Any, name: str | None = None) -> str | None:
        """pluggy's ``register``, then every implementation guarded (``guard``)."""
        plugin_name = super().register(plugin, name)
        if plugin_name is None:  # blocked
            return None
        info = self.infos.setdefault(plugin_name, PluginInfo(plugin_name, _module_of(plugin)))
        known = _hook_names()
        hooks = []
        for caller in self.get_hookcallers(plugin) or []:
            for impl in caller.get_hookimpls():
                if impl.plugin is plugin:
                    guard.install(impl, caller.name, self)
            if caller.name in known:
                hooks.append(caller.name)
        info.hooks = sorted(hooks)
        self._forget()
        self._check_hook_names(plugin, plugin_name, known)
        return plugin_name

    def unregister_plugin(self, name: str) -> None:
        """Take a plugin out entirely (tests): unregistered, unblocked, forgotten."""
        if self.get_plugin(name) is not None:
            self.unregister(name=name)
        self.unblock(name)
        self.infos.pop(name, None)
        self._broken = {key: p for key, p in self._broken.items() if p != name}
        self._forget()

    def _forget(self) -> None:
        self._components = {}
        self._schemas = None

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
                self._warn(f"{self.where(name)}: {attr} is not a harness hook{hint}", name)
            elif not hasattr(function, marker):
                self._warn(
                    f"{self.where(name)}: {attr} is not marked @hookimpl, so it is never "
                    "called; decorate it with @hookimpl (from harness.contract import hookimpl)",
                    name,
                )

    # -- failures (the guard reports here) -----------------------------------
    def plugin_failed(self, plugin: str, hook: str, error: BaseException) -> None:
        """A plugin's hook implementation raised: disable the plugin for this command."""
        info = self.infos.get(plugin)
        if info is None or info.error:
            return  # already out (a refused registration is reported where it happens)
        reason = str(error) if isinstance(error, PluginError) else None
        reason = reason or describe_failure(error, plugin, info.module)
        always = hook not in _LOAD_TIME_HOOKS  # a job process's own hooks: always say it
        self._fail(plugin, f"failed in {hook}", reason, error, always=always)

    def hook_done(
        self,
        plugin: str,
        hook: str,
        seconds: float,
        arguments: dict[str, Any],
        answer: Any = None,
    ) -> None:
        info = self.infos.get(plugin)
        if info is not None:
            info.hook_s[hook] = info.hook_s.get(hook, 0.0) + seconds
        if self._answers is not None and answer is not None:
            self._answers.append((plugin, answer))
        if self._tracer:
            self._tracer.implementation(plugin, hook, seconds)

    def _fail(
        self,
        name: str,
        what: str,
        reason: str,
        error: BaseException | None = None,
        *,
        always: bool = False,
    ) -> None:
        info = self.infos[name]
        info.error = reason
        info.message = f"{info.where} {what}: {reason}"
        # pluggy's own way to take a plugin out: unregistered, and its name blocked.
        self.set_blocked(name)
        note = "; it is disabled for this command" if what.startswith("failed in") else ""
        self._warn(info.message + note, always=always)
        if self._tracer and error is not None:
            self._tracer.failure(error)

    def where(self, plugin: str) -> str:
        """``plugin 'x' (dist 1.0)``: how every message names a plugin."""
        info = self.infos.get(plugin)
        return info.where if info is not None else f"plugin '{plugin}'"

    def _warn(self, message: str, plugin: str | None = None, *, always: bool = False) -> None:
        info = self.infos.get(plugin) if plugin else None
        if info is not None and message not in info.warnings:
            info.warnings.append(message)
        if message in self.problems:  # hooks run more than once per process; say it once
            return
        self.problems.append(message)
        if always or not os.environ.get(envvars.QUIET_PLUGINS):
            print(f"harness: warning: {message}", file=sys.stderr, flush=True)

    def _rank(self, plugin: str) -> int:
        """Load order (the earlier plugin wins a name; see ``loading``)."""
        order = list(self.infos)
        return order.index(plugin) if plugin in order else len(order)

    @property
    def failed(self) -> dict[str, PluginInfo]:
        """Plugins that are out of this command because something failed."""
        return {name: info for name, info in self.infos.items() if info.error}

    # -- the lifecycle hooks, typed --------------------------------------------
    def before_run(self, record: RunRecord) -> None:
        """``harness_before_run``; raises PluginError when a plugin that supplies one of
        the run's components failed in it (the run then fails with that line)."""
        _ = self.components  # who supplies what, known before any plugin drops out
        self.hook.harness_before_run(record=record)
        self.check_chosen(_chosen_by(record))

    def after_run(self, record: RunRecord, status: str) -> None:
        self.hook.harness_after_run(record=record, status=status)

    def on_run_error(self, record: RunRecord, error: str) -> None:
        self.hook.harness_on_run_error(record=record, error=error)

    def worker_start(self, run: Run) -> None:
        """``harness_worker_start`` in a job process; raises PluginError when a plugin
        that supplies one of the job's components failed in it."""
        _ = self.components
        self.hook.harness_worker_start(run=run)
        spec = run.spec
        chosen = [("estimator", spec.estimator), ("compute", spec.compute)]
        self.check_chosen([*chosen, *(("logger", str(n)) for n in spec.loggers)])

    def plugins(self) -> Iterable[PluginInfo]:
        """Every plugin, filled in: components, config groups, status (``plugins list``)."""
        _ = self.components
        self.config_searchpath()
        self.config_schemas()  # typed options count as config groups too
        return self.infos.values()


#: The name the rest of the code used before the manager subclassed pluggy's.
HarnessPlugins = HarnessPluginManager

_MANAGER: HarnessPluginManager | None = None


def _chosen_by(record: RunRecord) -> list[tuple[str, str]]:
    loggers = (record.params.get("logger") or {}) if isinstance(record.params, dict) else {}
    chosen = [("estimator", record.estimator), ("compute", record.compute)]
    return [*chosen, *(("logger", str(name)) for name in loggers)]


def _module_of(plugin: object) -> str:
    return str(getattr(plugin, "__name__", type(plugin).__name__))


def _hook_names() -> frozenset[str]:
    return frozenset(hookspecs._hook_names())


def get_plugin_manager() -> HarnessPluginManager:
    """The process-wide plugin manager, built (and entry points loaded) on first use."""
    global _MANAGER
    if _MANAGER is None:
        manager = HarnessPluginManager()
        manager.load_entry_points()
        _MANAGER = manager
    return _MANAGER


def reset_plugin_manager() -> None:
    """Forget the manager so the next call rebuilds it (tests, long sessions)."""
    global _MANAGER
    _MANAGER = None
