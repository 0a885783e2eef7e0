"""Installed plugins and the plugin scaffold: ``list_plugins``, ``show_plugin``,
``new_plugin``. ``harness plugins list|show|new`` call these same functions."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from harness.errors import NotFoundError


def _infos() -> tuple[Any, dict[str, Any]]:
    from harness.contract.manager import get_plugin_manager

    manager = get_plugin_manager()
    # Failed and disabled plugins are listed too, with the reason.
    return manager, {info.name: info for info in manager.plugins()}


def list_plugins() -> list[dict[str, Any]]:
    """Every plugin by name (``harness plugins list --format json``): kinds,
    components, config groups, hooks, distribution, ``status`` (loaded, failed,
    disabled), ``error``, and its import and hook times (``import_ms``, ``hooks_ms``)."""
    _, infos = _infos()
    return [infos[name].to_json() for name in sorted(infos)]


def show_plugin(name: str) -> dict[str, Any]:
    """One plugin (``harness plugins show NAME --format json``); ``name`` may also be
    a component's name, which shows the plugin that registers it."""
    manager, infos = _infos()
    info = infos.get(name)
    if info is None:  # a component's name: the plugin that registers it
        owners = {
            manager.plugin_of(kind, name)
            for kind in manager.components
            if name in manager.components[kind]
        }
        info = infos.get(owners.pop()) if len(owners) == 1 else None
    if info is None:
        reasons = [r for kind in manager.components if (r := manager.why_missing(kind, name))]
        raise NotFoundError(
            f"no plugin or component named '{name}'"
            + (f" ({reasons[0]})" if reasons else "")
            + f". Plugins: {', '.join(sorted(infos)) or '(none)'}"
        )
    return info.to_json()


def new_plugin(name: str, kind: str, directory: str | os.PathLike[str] = ".") -> dict[str, Any]:
    """Write the working plugin package ``harness-NAME`` of ``kind`` into ``directory``
    (``harness plugins new``). Returns ``{"root": Path, "files": [Path, ...]}``."""
    from harness.scaffold import write_plugin

    root, files = write_plugin(name, kind, Path(directory).expanduser().resolve())
    return {"root": root, "files": list(files)}
