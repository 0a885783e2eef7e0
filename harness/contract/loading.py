"""Which plugins a command loads, in which order, and whether they fit this harness.

Order (it decides which of two same-named components is used, and whose config
file Hydra composes): the harness's own plugins, then every other installed
distribution's entry points sorted by distribution name and entry-point name, then
the modules named by HARNESS_PLUGINS / ``-p MODULE`` in the order given. Entry-point
discovery order alone depends on the file system, so it is not used.

Skipped before import: a name in HARNESS_DISABLE_PLUGINS (or ``harness -p
no:NAME``); a third-party plugin not in HARNESS_PLUGINS_ALLOW when that is set; a
distribution whose requirement on ``harness-ml`` the running harness does not meet.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness import envvars
from harness.contract import plugin_index

__all__ = [
    "ENTRY_POINT_GROUP",
    "HARNESS_DISTRIBUTION",
    "Candidate",
    "candidates",
    "incompatibility",
    "names_from_env",
    "skip_reason",
]

ENTRY_POINT_GROUP = plugin_index.ENTRY_POINT_GROUP
#: The harness's own distribution: its entry points are the built-in plugins.
HARNESS_DISTRIBUTION = "harness-ml"
_HARNESS_REQUIREMENT = re.compile(r"^\s*harness[-_.]ml\b", re.IGNORECASE)


@dataclass
class Candidate:
    """One plugin the command may load: an entry point or a module named by the user."""

    name: str
    module: str
    load: Callable[[], Any]
    distribution: str | None = None
    version: str | None = None
    #: The distribution's ``Requires-Dist`` lines (None: not from a distribution).
    requires: list[str] | None = None
    #: Other distributions that declare the same entry-point name (not loaded).
    shadowed: list[str] = field(default_factory=list)

    @property
    def builtin(self) -> bool:
        return self.distribution == HARNESS_DISTRIBUTION


def names_from_env(variable: str) -> list[str]:
    return [n.strip() for n in os.environ.get(variable, "").split(",") if n.strip()]


def candidates() -> list[Candidate]:
    """Every plugin this command could load, in load order (see the module's doc)."""
    found: dict[str, Candidate] = {}
    for point in plugin_index.entry_points():
        value = point["value"]
        candidate = Candidate(
            point["name"],
            value,
            _entry_point_loader(value),
            point["distribution"],
            point["version"],
            point["requires"],
        )
        first = found.setdefault(candidate.name, candidate)
        # The same distribution found twice on sys.path: the first copy is imported,
        # as Python would. Another distribution with the same name is said.
        if first is not candidate and candidate.distribution != first.distribution:
            first.shadowed.append(f"{candidate.distribution} {candidate.version}")
    ordered = sorted(
        found.values(),
        key=lambda c: (not c.builtin, (c.distribution or "").lower(), c.name),
    )
    for module in names_from_env(envvars.PLUGINS):
        if module not in found:
            ordered.append(Candidate(module, module, _importer(module)))
            found[module] = ordered[-1]
    return ordered


def _entry_point_loader(value: str) -> Callable[[], Any]:
    """``EntryPoint.load`` for ``module:attr.attr [extras]``, without importlib.metadata."""
    module, _, rest = value.partition(":")
    attributes = rest.partition("[")[0].strip()

    def load() -> Any:
        import importlib

        loaded = importlib.import_module(module.strip())
        for attribute in filter(None, attributes.split(".")):
            loaded = getattr(loaded, attribute)
        return loaded

    return load


def _importer(module: str) -> Callable[[], Any]:
    import importlib

    return lambda: importlib.import_module(module)


def skip_reason(candidate: Candidate) -> str | None:
    """Why the user's settings leave this plugin out of the command (a clause that
    follows "plugin 'x' ..."), or None."""
    name = candidate.name
    if name in names_from_env(envvars.DISABLE_PLUGINS):
        # `harness -p no:NAME` adds NAME to this variable for the command.
        return f"is disabled by {envvars.DISABLE_PLUGINS}; remove '{name}' from that list"
    if (
        os.environ.get(envvars.PLUGINS_ALLOW) is not None
        and not candidate.builtin
        and candidate.distribution is not None
        and name not in names_from_env(envvars.PLUGINS_ALLOW)
    ):
        return f"is not in {envvars.PLUGINS_ALLOW}; add '{name}' to that list"
    return None


def incompatibility(candidate: Candidate) -> str | None:
    """The plugin's distribution requires a harness-ml version other than this one:
    one line saying so (the plugin is not imported), else None."""
    lines = [r for r in candidate.requires or [] if _HARNESS_REQUIREMENT.match(r)]
    if not lines or candidate.builtin:
        return None
    from packaging.requirements import InvalidRequirement, Requirement

    running = harness_version()
    for line in lines:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue  # pip would not have installed it; not ours to judge
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue  # only for an extra, or another platform
        if requirement.specifier and not requirement.specifier.contains(running, prereleases=True):
            return (
                f"it requires {HARNESS_DISTRIBUTION}{requirement.specifier}, but this is "
                f"{HARNESS_DISTRIBUTION} {running}: install a version of "
                f"{candidate.distribution} made for {HARNESS_DISTRIBUTION} {running}, or "
                f"disable it with {envvars.DISABLE_PLUGINS}={candidate.name}"
            )
    return None


def harness_version() -> str:
    """The running harness-ml's version: that of the distribution whose entry points
    are the built-in plugins, from the plugin index (no ``importlib.metadata`` import
    when a third-party plugin states its harness-ml requirement)."""
    for point in plugin_index.entry_points():
        if point["distribution"] == HARNESS_DISTRIBUTION and point["version"]:
            return str(point["version"])
    from importlib import metadata

    try:
        return metadata.version(HARNESS_DISTRIBUTION)
    except metadata.PackageNotFoundError:  # a checkout on sys.path, not installed
        return "0"
