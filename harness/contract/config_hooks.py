"""The config hooks, typed: every plugin's config search path and typed options,
in load order, each attributed to its plugin (clashes between two plugins named).

A mixin of ``HarnessPluginManager`` (``manager.py``), which holds the state.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pluggy

from harness import envvars
from harness.contract.component_table import registering
from harness.contract.config_groups import searchpath_options
from harness.contract.plugin_info import PluginInfo
from harness.contract.registration import check_schema
from harness.errors import PluginError

__all__ = ["ConfigHooks"]

DISABLE_ENV = envvars.DISABLE_PLUGINS


class ConfigHooks(pluggy.PluginManager):
    # The manager's state these methods use (set in HarnessPluginManager.__init__).
    infos: dict[str, PluginInfo]
    _schemas: list[tuple[str, str, type, str]] | None
    _answers: list[tuple[str, Any]] | None

    if TYPE_CHECKING:

        def where(self, plugin: str) -> str: ...
        def plugin_failed(self, plugin: str, hook: str, error: BaseException) -> None: ...
        def _warn(
            self, message: str, plugin: str | None = None, *, always: bool = False
        ) -> None: ...
        def _rank(self, plugin: str) -> int: ...
        def _refused(
            self, plugin: str, hook: str, kind: str, name: Any, error: PluginError
        ) -> None: ...

    def config_schemas(self) -> list[tuple[str, str, type, str]]:
        """(group, option, dataclass, plugin) for every typed option of the plugins
        that work, in load order; a bad one disables its plugin (``check_schema``)."""
        if self._schemas is not None:
            return list(self._schemas)
        found: list[tuple[str, str, type, str]] = []
        taken: dict[str, set[tuple[str, str]]] = {}

        def register(group: str, name: str, node: type) -> None:
            plugin = registering("config schema")
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
        answers: list[tuple[str, Any]] = []
        self._answers = answers
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
