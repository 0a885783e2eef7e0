"""``harness plugins new``: write a working plugin package to start from.

The package has a pyproject.toml with the ``harness`` entry point, the hookimpls,
the component, its typed options (a dataclass), a README and a test that runs the
harness contract for its kind, so ``pip install . && pytest`` passes before any edit.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path
from string import Template

from harness.errors import ConfigError
from harness.scaffold import templates
from harness.storage.workspace import atomic_write_bytes

__all__ = ["KINDS", "names_for", "write_plugin"]

#: Kinds the scaffold can write. Datastores wait for the datastore interface.
KINDS = tuple(templates.KIND_FILES)
_NAME = re.compile(r"[a-z][a-z0-9_-]*")


def names_for(name: str, kind: str) -> dict[str, str]:
    """Template values: ``xgboost`` → ``harness-xgboost``, ``harness_xgboost``, …"""
    if not _NAME.fullmatch(name):
        raise ConfigError(
            f"plugin name '{name}': use lowercase letters, digits, '-' or '_', "
            "starting with a letter (e.g. xgboost, s3-store)"
        )
    if kind not in KINDS:
        raise ConfigError(f"unknown plugin kind '{kind}'; choose one of {', '.join(KINDS)}")
    words = re.split(r"[-_]", name)
    package = "harness_" + "_".join(words)
    try:
        harness_version = metadata.version("harness-ml")
    except metadata.PackageNotFoundError:
        harness_version = "0.1"
    return {
        "name": name,
        "kind": kind,
        "group": kind,
        "package": package,
        "dist": "harness-" + "-".join(words),
        "cls": "".join(w.capitalize() for w in words) + kind.capitalize(),
        "harness_version": harness_version,
        "options_note": (
            "Named datastores of this type live in the workspace: `harness datastore add`."
            if kind == "datastore"
            else f"Options are typed in `{package}/config.py` (`harness train --help` lists them);\n"
            f"override any of them on the command line (`{_option_path(kind, name)}.KEY=VALUE`)."
        ),
        "extra_deps": ', "scikit-learn>=1.3", "joblib"' if kind == "estimator" else "",
    }


def _option_path(kind: str, name: str) -> str:
    """Where a component's options sit in the composed config: loggers are keyed by
    name (several run at once), the others have one node."""
    return f"logger.{name}" if kind == "logger" else kind


def taken_by(values: dict[str, str]) -> str | None:
    """What already uses the plugin's names: an installed module with its import
    name, an installed distribution, a plugin with its entry-point name, or a
    component of its kind with its name. Installing a second one would shadow or
    be shadowed (the old top-level built-ins were overwritten exactly so)."""
    import importlib.util

    from harness.contract.manager import ENTRY_POINT_GROUP, get_plugin_manager

    try:
        spec = importlib.util.find_spec(values["package"])
    except (ImportError, ValueError):
        spec = None
    if spec is not None:
        return f"the import name '{values['package']}' is an installed module ({spec.origin})"
    try:
        dist = metadata.distribution(values["dist"])
        return f"the distribution '{values['dist']}' {dist.version} is installed"
    except metadata.PackageNotFoundError:
        pass
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == values["name"]:
            owner = getattr(ep, "dist", None)
            where = f" ({owner.name} {owner.version})" if owner else ""
            return f"the plugin name '{ep.name}' is taken by an installed plugin{where}"
    manager = get_plugin_manager()
    if values["name"] in manager.components.get(values["kind"], {}):
        where = manager.describe(values["kind"], values["name"])
        return f"{values['kind']} '{values['name']}' is already registered by {where}"
    return None


def write_plugin(name: str, kind: str, directory: Path) -> tuple[Path, list[Path]]:
    """Write the package into ``directory/<dist>``; returns it and the files written.

    Refuses a name that an installed module, distribution, plugin or component
    already uses, and a target that exists and is not empty, so nothing is
    overwritten.
    """
    values = names_for(name, kind)
    taken = taken_by(values)
    if taken:
        raise ConfigError(f"cannot scaffold '{name}': {taken}; choose another name")
    root = directory / values["dist"]
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise ConfigError(f"{root} already exists and is not empty; choose another --dir or name")
    component, config, test = templates.KIND_FILES[kind]
    package = Path(values["package"])
    # Substituted once here; Template does not re-read inserted values.
    values["usage"] = Template(templates.USAGE[kind]).substitute(values)
    files = {
        Path("pyproject.toml"): templates.PYPROJECT,
        Path("README.md"): templates.README,
        package / "__init__.py": templates.INIT if config else templates.INIT_NO_CONFIG,
        package / f"{kind}.py": component,
        Path("tests") / f"test_{values['package']}.py": test,
    }
    if config is not None:
        files[package / "config.py"] = config
    written = []
    for relative, source in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, Template(source).substitute(values).encode())
        written.append(path)
    return root, written
