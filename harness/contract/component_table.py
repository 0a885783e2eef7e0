"""The table of registered components: who registered what, checked, and which
of two same-named components is used (the plugin loaded first). Also the guard
around calls into a registered component's own code (``calling``).

A mixin of ``HarnessPluginManager`` (``manager.py``), which holds the state.
"""

from __future__ import annotations

import errno
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pluggy

from harness import envvars
from harness.contract import guard
from harness.contract.config_groups import ships_option
from harness.contract.plugin_info import KINDS, PluginInfo, describe_failure
from harness.contract.registration import check_component
from harness.errors import ComponentFailure, HarnessError, PluginError, UnknownComponentError

__all__ = ["Component", "ComponentTable", "registering"]

DISABLE_ENV = envvars.DISABLE_PLUGINS


@dataclass
class Component:
    cls: type
    plugin: str


class ComponentTable(pluggy.PluginManager):
    # The manager's state these methods use (set in HarnessPluginManager.__init__).
    infos: dict[str, PluginInfo]
    #: kind → its table, for the kinds collected so far (``table``).
    _components: dict[str, dict[str, Component]]
    _broken: dict[tuple[str, str], str]
    _tracer: Any

    if TYPE_CHECKING:

        def where(self, plugin: str) -> str: ...
        def plugin_failed(self, plugin: str, hook: str, error: BaseException) -> None: ...
        def _warn(
            self, message: str, plugin: str | None = None, *, always: bool = False
        ) -> None: ...
        def _rank(self, plugin: str) -> int: ...

    @property
    def components(self) -> dict[str, dict[str, Component]]:
        """Every kind's table (``plugins list``, a run's start: who supplies what)."""
        return {kind: self.table(kind) for kind in KINDS}

    def table(self, kind: str) -> dict[str, Component]:
        """The components of one kind, collected on first use: a command imports only
        the component classes of the kinds it uses (a datastore command none of the
        estimators, computes or loggers; benchmarks/README.md, start-up)."""
        table = self._components.get(kind)
        if table is None:
            table = self._components[kind] = self._collect(kind)
        return table

    def _collect(self, kind: str) -> dict[str, Component]:
        found: list[tuple[str, type, str]] = []
        taken: dict[str, set[str]] = {}

        def register(name: str, cls: type) -> None:
            plugin = registering(kind)
            mine = taken.setdefault(plugin, set())
            try:
                check_component(kind, name, cls, mine)
            except PluginError as exc:
                self._refused(plugin, KINDS[kind], kind, name, exc)
                raise
            mine.add(name)
            found.append((name, cls, plugin))

        getattr(self.hook, KINDS[kind])(register=register)
        table: dict[str, Component] = {}
        for info in self.infos.values():
            info.components.pop(kind, None)
        for name, cls, plugin in sorted(found, key=lambda item: self._rank(item[2])):
            info = self.infos[plugin]
            info.components.setdefault(kind, []).append(name)
            if info.error:
                self._broken[(kind, name)] = plugin
                continue
            first = table.get(name)
            if first is None:
                table[name] = Component(cls, plugin)
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
            name for name, entry in self.table(kind).items() if not self.infos[entry.plugin].error
        )

    def get(self, kind: str, name: str) -> type:
        """The class registered as ``name`` for ``kind``, or UnknownComponentError."""
        entry = self.table(kind).get(name)
        if entry is not None and not self.infos[entry.plugin].error:
            return entry.cls
        raise UnknownComponentError(kind, name, self.names(kind), self.why_missing(kind, name))

    def why_missing(self, kind: str, name: str) -> str | None:
        """Why ``kind=name`` is not available when a plugin seems to offer it: the
        plugin failed or is disabled, or it registers the component but ships no
        config file for it."""
        entry = self._table_or_none(kind, name)
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
        owner_info = self.infos.get(entry.plugin)
        searchpath = (owner_info.searchpath if owner_info else None) or ["(none)"]
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
        """Around every call into a registered component's code (the driver's
        ``Estimator.validate/primary/prepare``, ``Compute.validate/launch``, the job's
        ``Estimator.validate_in_job``, ``Compute.worker_start``): an exception raised
        in its plugin's own code becomes one ``ComponentFailure`` line naming the
        component, the plugin, its distribution and version, and ``what`` was called.
        A HarnessError passes as it is (the plugin's message for the user)."""
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
    ) -> ComponentFailure | None:
        """The one line for ``error`` if it was raised in the code of the plugin that
        supplies ``kind`` ``name`` (its traceback passes through the plugin's files);
        None for anything else, which keeps its traceback (a harness bug)."""
        entry = self._table_or_none(kind, name)
        info = self.infos.get(entry.plugin) if entry is not None else None
        if entry is None or info is None or isinstance(error, HarnessError):
            return None
        if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
            return None  # a full disk is no plugin's fault: "no space left" (exit 1)
        if not _raised_in(error, {info.module, entry.cls.__module__}):
            return None
        if self._tracer:
            self._tracer.failure(error)
        reason = describe_failure(error, info.name, info.module)
        return ComponentFailure(
            f"{kind} '{name}' of {info.where} failed in {what}: {reason}", error
        )

    def _table_or_none(self, kind: str, name: str) -> Component | None:
        """The entry for ``kind`` ``name``; None for a kind the harness does not know."""
        return self.table(kind).get(name) if kind in KINDS else None

    def plugin_of(self, kind: str, name: str) -> str:
        return self.table(kind)[name].plugin

    def describe(self, kind: str, name: str) -> str:
        """``plugin 'x' (dist 1.0)`` for the plugin that registered a component."""
        entry = self.table(kind).get(name)
        return self.where(entry.plugin) if entry is not None else "an unknown plugin"

    def origin(self, kind: str, name: str) -> dict[str, str | None]:
        """Plugin, distribution and version that supplied a component (provenance)."""
        entry = self.table(kind).get(name)
        info = self.infos.get(entry.plugin) if entry is not None else None
        return {
            "plugin": entry.plugin if entry is not None else None,
            "distribution": info.distribution if info is not None else None,
            "version": info.version if info is not None else None,
        }

    def check_chosen(self, chosen: Iterable[tuple[str, str]]) -> None:
        """PluginError naming the first of ``chosen`` (kind, name) whose plugin failed."""
        for kind, name in chosen:
            entry = self._table_or_none(kind, name)
            if entry is not None and self.infos[entry.plugin].error:
                message = self.infos[entry.plugin].message
                raise PluginError(f"{kind} '{name}' is not available: {message}")


def registering(what: str) -> str:
    plugin = guard.current_plugin()
    if plugin is None:
        raise PluginError(f"register() of a {what} was called outside its harness_register hook")
    return plugin


def _raised_in(error: BaseException, modules: set[str]) -> bool:
    """Whether ``error`` was raised by the code of ``modules`` (a package: its whole
    folder): the innermost frame of its traceback that is either theirs or the
    harness's own decides. Frames of other libraries (numpy, scikit-learn…) are
    passed over, so a plugin's bad call into a library is still the plugin's; but
    an error the harness's own code raised under a plugin's call (a core helper the
    plugin used) is the harness's bug, and keeps its traceback."""
    import traceback
    from pathlib import Path

    places: list[Path] = []
    for module in modules:
        loaded = sys.modules.get(module.split(":")[0])
        file = getattr(loaded, "__file__", None)
        if file:
            path = Path(file).resolve()
            places.append(path.parent if path.name == "__init__.py" else path)
    core = Path(__file__).resolve().parent.parent  # the harness package
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        where = Path(frame.filename).resolve()
        if any(where == place or place in where.parents for place in places):
            return True
        if core in where.parents:
            return False
    return False
