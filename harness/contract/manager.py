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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pluggy

from harness import envvars
from harness.contract import guard, hookspecs, loading
from harness.contract.config_groups import searchpath_options, ships_option
from harness.contract.plugin_info import KINDS, PluginInfo, describe_failure, one_line
from harness.contract.registration import check_component, check_schema
from harness.errors import HarnessError, PluginError, UnknownComponentError

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


@dataclass
class Component:
    cls: type
    plugin: str


class HarnessPluginManager(pluggy.PluginManager):
    """pluggy's manager plus what the harness knows about each plugin and the table
    of registered components built from the registration hooks."""

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT)
        self.add_hookspecs(hookspecs)
        #: Every plugin this command knows of, in load order (loaded, failed, disabled).
        self.infos: dict[str, PluginInfo] = {}
        #: Every warning said so far (once each).
        self.problems: list[str] = []
        self._components: dict[str, dict[str, Component]] | None = None
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
        self._components = None
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

    # -- components --------------------------------------------------------
    @property
    def components(self) -> dict[str, dict[str, Component]]:
        if self._components is None:
            self._components = self._collect_components()
        return self._components

    def _collect_components(self) -> dict[str, dict[str, Component]]:
        found: list[tuple[str, str, type, str]] = []
        for kind, hook in KINDS.items():
            taken: dict[str, set[str]] = {}

            def register(name: str, cls: type, kind: str = kind, taken: dict = taken) -> None:
                plugin = _registering(kind)
                mine = taken.setdefault(plugin, set())
                try:
                    check_component(kind, name, cls, mine)
                except PluginError as exc:
                    self._refused(plugin, KINDS[kind], kind, name, exc)
                    raise
                mine.add(name)
                found.append((kind, name, cls, plugin))

            getattr(self.hook, hook)(register=register)
        table: dict[str, dict[str, Component]] = {kind: {} for kind in KINDS}
        for info in self.infos.values():
            info.components = {}
        for kind, name, cls, plugin in sorted(found, key=lambda item: self._rank(item[3])):
            info = self.infos[plugin]
            info.components.setdefault(kind, []).append(name)
            if info.error:
                self._broken[(kind, name)] = plugin
                continue
            first = table[kind].get(name)
            if first is None:
                table[kind][name] = Component(cls, plugin)
                continue
            self._warn(
                f"{kind} '{name}' is registered by both {self.where(first.plugin)} and "
                f"{self.where(plugin)}; the first is used (plugins load in a fixed order: "
                "the harness's own, then by distribution name). Uninstall one or disable "
                f"it with {DISABLE_ENV}={plugin}",
                plugin,
            )
        return table

    def _refused(self, plugin: str, hook: str, kind: str, name: Any, error: PluginError) -> None:
        if isinstance(name, str):
            self._broken[(kind, name)] = plugin
        self.plugin_failed(plugin, hook, error)

    def names(self, kind: str) -> list[str]:
        return sorted(
            name
            for name, entry in self.components[kind].items()
            if not self.infos[entry.plugin].error
        )

    def get(self, kind: str, name: str) -> type:
        """The class registered as ``name`` for ``kind``, or UnknownComponentError."""
        entry = self.components[kind].get(name)
        if entry is not None and not self.infos[entry.plugin].error:
            return entry.cls
        raise UnknownComponentError(kind, name, self.names(kind), self.why_missing(kind, name))

    def why_missing(self, kind: str, name: str) -> str | None:
        """Why ``kind=name`` is not available when a plugin seems to offer it: the
        plugin failed or is disabled, or it registers the component but ships no
        config file for it."""
        entry = self.components.get(kind, {}).get(name)
        owner = entry.plugin if entry is not None else self._broken.get((kind, name))
        if owner is not None and self.infos[owner].error:
            return self.infos[owner].message
        for info in self.infos.values():
            if info.status == "loaded":
                continue
            offers = (
                name in info.components.get(kind, [])
                or name in info.config_groups.get(kind, [])
                or info.name == name
                or ships_option(info.module, kind, name)
            )
            if offers and info.disabled_by:
                return f"plugin '{info.name}' provides {kind} '{name}' but {info.disabled_by}"
            if offers:
                return info.message
        if entry is None:
            return None
        info = self.infos.get(entry.plugin)
        searchpath = (info.searchpath if info else None) or ["(none)"]
        return (
            f"{kind} '{name}' is registered by {self.where(entry.plugin)}, but no config file "
            f"{kind}/{name}.yaml was found on its config search path "
            f"({', '.join(searchpath)}): the plugin must ship it as package data"
        )

    def create(self, kind: str, name: str, *args: Any) -> Any:
        """An instance of the component (``get``), its constructor guarded (``calling``)."""
        cls = self.get(kind, name)
        with self.calling(kind, name, f"{cls.__name__}()"):
            return cls(*args)

    @contextmanager
    def calling(self, kind: str, name: str, what: str) -> Iterator[None]:
        """Around a call into a registered component: an exception raised in its
        plugin's own code becomes one PluginError line naming the component, the
        plugin, its distribution and version, and ``what`` was called. A
        HarnessError passes as it is (the plugin's message for the user)."""
        try:
            yield
        except HarnessError:
            raise
        except Exception as exc:
            failure = self.failure_of(kind, name, exc, what)
            if failure is None:
                raise
            raise failure from exc

    def failure_of(
        self, kind: str, name: str, error: BaseException, what: str
    ) -> PluginError | None:
        """The one line for ``error`` if it was raised in the code of the plugin that
        supplies ``kind`` ``name`` (its traceback passes through the plugin's files);
        None for anything else, which keeps its traceback (a harness bug)."""
        entry = self.components.get(kind, {}).get(name)
        info = self.infos.get(entry.plugin) if entry is not None else None
        if info is None or isinstance(error, HarnessError):
            return None
        if not _raised_in(error, {info.module, entry.cls.__module__}):
            return None
        if self._tracer:
            self._tracer.failure(error)
        reason = describe_failure(error, info.name, info.module)
        return PluginError(f"{kind} '{name}' of {info.where} failed in {what}: {reason}")

    def plugin_of(self, kind: str, name: str) -> str:
        return self.components[kind][name].plugin

    def describe(self, kind: str, name: str) -> str:
        """``plugin 'x' (dist 1.0)`` for the plugin that registered a component."""
        entry = self.components[kind].get(name)
        return self.where(entry.plugin) if entry is not None else "an unknown plugin"

    def origin(self, kind: str, name: str) -> dict[str, str | None]:
        """Plugin, distribution and version that supplied a component (provenance)."""
        entry = self.components[kind].get(name)
        info = self.infos.get(entry.plugin) if entry is not None else None
        return {
            "plugin": entry.plugin if entry is not None else None,
            "distribution": info.distribution if info is not None else None,
            "version": info.version if info is not None else None,
        }

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

    def check_chosen(self, chosen: Iterable[tuple[str, str]]) -> None:
        """PluginError naming the first of ``chosen`` (kind, name) whose plugin failed."""
        for kind, name in chosen:
            entry = self.components.get(kind, {}).get(name)
            if entry is not None and self.infos[entry.plugin].error:
                message = self.infos[entry.plugin].message
                raise PluginError(f"{kind} '{name}' is not available: {message}")

    # -- config groups ----------------------------------------------------
    def config_schemas(self) -> list[tuple[str, str, type, str]]:
        """(group, option, dataclass, plugin) for every typed option of the plugins
        that work, in load order; a bad one disables its plugin (``check_schema``)."""
        if self._schemas is not None:
            return list(self._schemas)
        found: list[tuple[str, str, type, str]] = []
        taken: dict[str, set[tuple[str, str]]] = {}

        def register(group: str, name: str, node: type) -> None:
            plugin = _registering("config schema")
            mine = taken.setdefault(plugin, set())
            try:
                check_schema(group, name, node, mine)
            except PluginError as exc:
                self._refused(plugin, "harness_config_schemas", str(group), name, exc)
                raise
            mine.add((group, name))
            found.append((group, name, node, plugin))

        self.hook.harness_config_schemas(register=register)
        for group, name, _, plugin in found:
            options = self.infos[plugin].config_groups.setdefault(group, [])
            if name not in options:
                options.append(name)
        self._schemas = sorted(
            (item for item in found if not self.infos[item[3]].error),
            key=lambda item: self._rank(item[3]),
        )
        return list(self._schemas)

    def config_searchpath(self) -> list[str]:
        """Every plugin's config search-path entries, in load order (the first entry
        wins an option two plugins ship, as the first registered name does)."""
        with self._collecting() as answers:
            returned = self.hook.harness_config_searchpath()
        owner = {id(answer): plugin for plugin, answer in answers}
        ranked = sorted(returned, key=lambda a: self._rank(owner.get(id(a), "")))
        entries: list[str] = []
        owners: dict[tuple[str, str], str] = {}
        for answer in ranked:
            plugin = owner.get(id(answer))
            if not isinstance(answer, (list, tuple)):
                if plugin is not None:
                    self.plugin_failed(
                        plugin,
                        "harness_config_searchpath",
                        PluginError(f"returned {answer!r:.60}, not a list of entries"),
                    )
                continue
            found = [str(entry) for entry in answer]
            groups: dict[str, list[str]] = {}
            for entry in found:
                for group, options in searchpath_options(entry).items():
                    groups.setdefault(group, []).extend(options)
            info = self.infos.get(plugin) if plugin else None
            if info is not None:
                self._check_group_clashes(info.name, groups, owners)
                info.searchpath = found
                for group, options in groups.items():
                    known = info.config_groups.setdefault(group, [])
                    known[:] = sorted({*known, *options})
            entries.extend(found)
        return entries

    @contextmanager
    def _collecting(self) -> Iterator[list[tuple[str, Any]]]:
        self._answers = answers = []
        try:
            yield answers
        finally:
            self._answers = None

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
                        f"config option '{group}/{option}' of {self.where(plugin_name)} clashes "
                        f"with the one of {self.where(first)}; `{group}={option}` composes "
                        f"plugin '{first}'s file. Rename one, or disable one with "
                        f"{DISABLE_ENV}={plugin_name}",
                        plugin_name,
                    )

    def plugins(self) -> Iterable[PluginInfo]:
        """Every plugin, filled in: components, config groups, status (``plugins list``)."""
        _ = self.components
        self.config_searchpath()
        self.config_schemas()  # typed options count as config groups too
        return self.infos.values()


#: The name the rest of the code used before the manager subclassed pluggy's.
HarnessPlugins = HarnessPluginManager

_MANAGER: HarnessPluginManager | None = None


def _registering(what: str) -> str:
    plugin = guard.current_plugin()
    if plugin is None:
        raise PluginError(f"register() of a {what} was called outside its harness_register hook")
    return plugin


def _chosen_by(record: RunRecord) -> list[tuple[str, str]]:
    loggers = (record.params.get("logger") or {}) if isinstance(record.params, dict) else {}
    chosen = [("estimator", record.estimator), ("compute", record.compute)]
    return [*chosen, *(("logger", str(name)) for name in loggers)]


def _raised_in(error: BaseException, modules: set[str]) -> bool:
    """Whether ``error``'s traceback passes through the files of ``modules`` (a
    package: its whole folder)."""
    import traceback
    from pathlib import Path

    places: list[Path] = []
    for module in modules:
        loaded = sys.modules.get(module.split(":")[0])
        file = getattr(loaded, "__file__", None)
        if file:
            path = Path(file).resolve()
            places.append(path.parent if path.name == "__init__.py" else path)
    for frame in traceback.extract_tb(error.__traceback__):
        where = Path(frame.filename).resolve()
        if any(where == place or place in where.parents for place in places):
            return True
    return False


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
