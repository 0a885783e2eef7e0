"""The config group files plugins ship: which options a search-path entry holds,
and whether a plugin package (imported or not) ships ``conf/GROUP/OPTION.yaml``."""

from __future__ import annotations

from typing import Any

__all__ = ["searchpath_options", "ships_option"]


def ships_option(module: str, group: str, option: str) -> bool:
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
