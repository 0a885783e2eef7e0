"""Named, versioned environment definitions: curated ones shipped with the harness,
Azure ML v1 curated names mapped onto them, and the workspace's own.

Workspace layout: ``$HARNESS_HOME/environments/NAME/VERSION.json`` (the
definition, files inlined). A version number is taken under
``environments/NAME/.lock``; registering a definition equal to the latest
version returns that version instead of adding one (as Azure ML did).
"""

from __future__ import annotations

import re
import shutil
import time
from importlib import resources
from pathlib import Path
from typing import Any

from harness.envs.errors import EnvironmentSpecError
from harness.envs.spec import Definition, check_name, from_mapping, parse_reference
from harness.errors import NotFoundError
from harness.storage.workspace import atomic_write_json, read_json

CURATED_PACKAGE = "harness.envs.curated"
#: Azure ML v1 curated environment → the harness's curated environment.
V1_NAMES: dict[str, str] = {
    "AzureML-Minimal": "harness-minimal",
    "AzureML-Tutorial": "harness-sklearn",
    "AzureML-Scikit-learn-0.20.3": "harness-sklearn",
    "AzureML-Scikit-learn0.24-Cuda11-OpenMpi4.1.0-py36": "harness-sklearn",
    "AzureML-PyTorch-1.0-CPU": "harness-pytorch",
    "AzureML-PyTorch-1.0-GPU": "harness-pytorch",
    "AzureML-PyTorch-1.1-CPU": "harness-pytorch",
    "AzureML-PyTorch-1.1-GPU": "harness-pytorch",
    "AzureML-PyTorch-1.2-CPU": "harness-pytorch",
    "AzureML-PyTorch-1.2-GPU": "harness-pytorch",
    "AzureML-PyTorch-1.3-CPU": "harness-pytorch",
    "AzureML-PyTorch-1.3-GPU": "harness-pytorch",
    "AzureML-PyTorch-1.4-CPU": "harness-pytorch",
    "AzureML-PyTorch-1.4-GPU": "harness-pytorch",
    "AzureML-PyTorch-1.5-CPU": "harness-pytorch",
    "AzureML-PyTorch-1.5-GPU": "harness-pytorch",
    "AzureML-PyTorch-1.6-CPU": "harness-pytorch",
    "AzureML-PyTorch-1.6-GPU": "harness-pytorch",
    "AzureML-Chainer-5.1.0-CPU": "harness-chainer",
    "AzureML-Chainer-5.1.0-GPU": "harness-chainer",
}


#: A v1 curated name not in V1_NAMES maps by the framework it names (today's
#: spellings: ``AzureML-sklearn-1.5``, ``AzureML-pytorch-1.10-ubuntu18.04-py38-cuda11-gpu``);
#: first match wins. Other frameworks (TensorFlow, LightGBM, AutoML...) have none.
V1_FAMILIES: tuple[tuple[str, str], ...] = (
    ("scikit-learn", "harness-sklearn"),
    ("sklearn", "harness-sklearn"),
    ("pytorch", "harness-pytorch"),
    ("chainer", "harness-chainer"),
    ("minimal", "harness-minimal"),
    ("tutorial", "harness-sklearn"),
)
V1_PREFIX = "azureml-"
_V1_LOWER = {name.lower(): target for name, target in V1_NAMES.items()}


def is_v1_name(name: str) -> bool:
    """An Azure ML v1 curated name: ``AzureML-...``, in any case (Azure matched them
    case-insensitively: ``azureml-sklearn-1.5`` is today's spelling)."""
    return str(name).lower().startswith(V1_PREFIX)


def v1_target(name: str) -> str | None:
    """The harness environment a v1 curated name maps to (V1_NAMES, else V1_FAMILIES)."""
    lowered = str(name).lower()
    if lowered in _V1_LOWER:
        return _V1_LOWER[lowered]
    if not lowered.startswith(V1_PREFIX):
        return None
    words = lowered[len(V1_PREFIX) :].replace("_", "-")
    for word, target in V1_FAMILIES:
        if re.search(rf"(^|-){re.escape(word)}", words):
            return target
    return None


def curated_names() -> list[str]:
    folder = resources.files(CURATED_PACKAGE)
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def curated(name: str) -> Definition | None:
    """A curated definition (by its own name or a v1 name), or None."""
    import yaml

    target = v1_target(name) or name
    if target not in curated_names():
        return None
    text = resources.files(CURATED_PACKAGE).joinpath(f"{target}.yaml").read_text()
    definition = from_mapping(
        yaml.safe_load(text) or {}, where=f"curated environment {target}", check=False
    )
    definition.name, definition.version = target, 1
    if target != name:  # a v1 name: its framework version, when it can be had
        from harness.envs.v1_versions import pin

        definition.pip_packages = pin(name, definition.pip_packages)
    return definition


def is_reserved(name: str) -> bool:
    return is_v1_name(name) or name in curated_names()


def registry_root(home: Path) -> Path:
    return home / "environments"


def versions(home: Path, name: str) -> list[int]:
    folder = registry_root(home) / name
    if not folder.is_dir():
        return []
    return sorted(int(p.stem) for p in folder.glob("*.json") if p.stem.isdigit())


def registered_names(home: Path) -> list[str]:
    root = registry_root(home)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and versions(home, p.name))


def get(home: Path, reference: str) -> Definition:
    """``NAME[:VERSION]``: curated (or a v1 name), else the workspace's."""
    name, version = parse_reference(reference)
    found = curated(name)
    if found is not None:
        if version not in (None, 1):
            raise NotFoundError(f"curated environment {found.name} has only version 1")
        return found
    known = versions(home, name)
    if not known:
        choices = ", ".join([*curated_names(), *registered_names(home)])
        raise EnvironmentSpecError(
            f"unknown environment '{name}'; known: {choices} "
            "(register one with `harness envs create NAME --pip PKG`)"
        )
    chosen = version if version is not None else known[-1]
    if chosen not in known:
        raise NotFoundError(
            f"environment {name} has no version {chosen}; versions: " + ", ".join(map(str, known))
        )
    return load(home, name, chosen)


def load(home: Path, name: str, version: int) -> Definition:
    data = read_json(registry_root(home) / name / f"{version}.json")
    # Checked when it was registered; resolve() checks again unless it knows it.
    definition = from_mapping(
        data["definition"], where=f"environment {name}:{version}", check=False
    )
    definition.name, definition.version = name, version
    return definition


def created_at(home: Path, name: str, version: int) -> str | None:
    try:
        return read_json(registry_root(home) / name / f"{version}.json").get("created")
    except (OSError, ValueError):
        return None


def register(home: Path, definition: Definition) -> tuple[Definition, bool]:
    """Store ``definition`` under its name; (stored definition, whether it is new)."""
    from filelock import FileLock

    if not definition.name:
        raise EnvironmentSpecError("an environment needs a name to be registered")
    name = check_name(definition.name)
    if is_reserved(name):
        raise EnvironmentSpecError(f"'{name}' is a curated environment name; choose another name")
    folder = registry_root(home) / name
    folder.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder / ".lock")):
        known = versions(home, name)
        if known:
            latest = load(home, name, known[-1])
            if latest.content() == definition.content():
                return latest, False
        version = (known[-1] if known else 0) + 1
        stored = Definition(**{**definition.to_json(), "name": name, "version": version})
        body = {k: v for k, v in stored.content().items() if v}
        atomic_write_json(
            folder / f"{version}.json",
            {"name": name, "version": version, "created": _now(), "definition": body},
        )
    return stored, True


def delete(home: Path, reference: str) -> list[int]:
    """Delete one version (``NAME:VERSION``) or every version (``NAME``)."""
    from filelock import FileLock

    name, version = parse_reference(reference)
    if is_reserved(name):
        raise EnvironmentSpecError(f"'{name}' is a curated environment; it cannot be deleted")
    known = versions(home, name)
    if not known or (version is not None and version not in known):
        raise NotFoundError(f"no environment {reference} in this workspace")
    folder = registry_root(home) / name
    gone = [version] if version is not None else known
    with FileLock(str(folder / ".lock")):
        for number in gone:
            (folder / f"{number}.json").unlink(missing_ok=True)
    if not versions(home, name):
        shutil.rmtree(folder, ignore_errors=True)
    return gone


def to_mapping(definition: Definition) -> dict[str, Any]:
    return {
        k: v for k, v in definition.to_json().items() if v not in (None, [], "") and v is not False
    }


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")
