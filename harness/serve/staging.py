"""The model files a service loads: copied out of the registry and SHA-256 checked.

Each version is copied into ``services/<name>/models/<model>/<version>/`` under
the name it was registered with (v1's ``azureml-models/$MODEL_NAME/$VERSION/``
layout, which ``AZUREML_MODEL_DIR`` and ``Model.get_model_path`` point into), and
hashed while it is copied. The service loads the copy, never the registry's file,
so a file changed after the check cannot be loaded: what is hashed is what runs.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from harness.errors import ConfigError
from harness.storage.model_registry import ModelVersion
from harness.storage.safecopy import copy_out


class ModelIntegrityError(ConfigError):
    """A registered model's files no longer match the SHA-256 in its record."""


def registered_name(entry: ModelVersion) -> str:
    """The file or folder name the version was registered under."""
    files = list(entry.files)
    base = Path(entry.source_path).name
    if len(files) == 1 and files[0] == base:
        return base  # a file
    return base or entry.name


def is_single_file(entry: ModelVersion) -> bool:
    files = list(entry.files)
    return len(files) == 1 and files[0] == registered_name(entry)


def stage(entry: ModelVersion, models_dir: Path) -> dict[str, Any]:
    """Copy ``entry`` into ``models_dir/<name>/<version>/``; refuse it if any file's
    SHA-256 differs from the registry's (the copy is removed). Returns the record's
    ``models`` item."""
    files_dir = Path(entry.path) / "files"
    version_dir = models_dir / entry.name / str(entry.version)
    version_dir.mkdir(parents=True, exist_ok=False)
    name = registered_name(entry)
    ref = f"{entry.name}:{entry.version}"
    try:
        if is_single_file(entry):
            report = copy_out(files_dir / name, version_dir, hash_files=True)
        else:
            report = copy_out(files_dir, version_dir / name, hash_files=True)
    except FileNotFoundError as exc:
        shutil.rmtree(version_dir, ignore_errors=True)
        raise ModelIntegrityError(
            f"model {ref}: its registered files are missing ({exc.filename}); "
            "register it again (`harness models register`)"
        ) from None
    if report.files != entry.files or report.skipped:
        shutil.rmtree(version_dir, ignore_errors=True)
        changed = sorted(
            path
            for path in set(entry.files) | set(report.files) | set(report.skipped)
            if entry.files.get(path) != report.files.get(path)
        )
        raise ModelIntegrityError(
            f"model {ref}: {', '.join(changed[:3])} does not match the SHA-256 in its "
            "registry record (changed after registration); not loaded. Register the "
            "model again to serve the new file"
        )
    return {
        "name": entry.name,
        "version": entry.version,
        "sha256": entry.sha256,
        "run_id": entry.run_id,
        # the run's config, for the estimator's load_model (network, data shape)
        "params": entry.params,
        "path": (version_dir / name).relative_to(models_dir.parent).as_posix(),
    }


def model_dir_env(service_dir: Path, models: list[dict[str, Any]]) -> str:
    """``AZUREML_MODEL_DIR`` as v1 sets it: the version folder of a single model,
    the folder of all models when there are several."""
    if len(models) == 1:
        return str(service_dir / Path(models[0]["path"]).parent)
    return str(service_dir / "models")


def deployed_model_path(name: str, version: int | None = None) -> str | None:
    """Inside a service's process: the deployed copy of model ``name`` (v1's
    ``Model.get_model_path`` in a score.py); None outside a service."""
    import os

    from harness.errors import NotFoundError

    service_dir = os.environ.get("HARNESS_SERVICE_DIR")
    if not service_dir:
        return None
    models = Path(service_dir) / "models"
    deployed = (
        sorted(
            (int(v.name), v)
            for v in (models / name).glob("*")
            if v.name.isdigit() and (version is None or int(v.name) == int(version))
        )
        if (models / name).is_dir()
        else []
    )
    if not deployed:
        have = ", ".join(
            f"{m.name}:{v.name}" for m in sorted(models.glob("*")) for v in sorted(m.glob("*"))
        )
        wanted = f"{name}:{version}" if version is not None else name
        raise NotFoundError(f"model {wanted} is not deployed with this service (it has {have})")
    children = list(deployed[-1][1].iterdir())
    return str(children[0]) if len(children) == 1 else str(deployed[-1][1])
