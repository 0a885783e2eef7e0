"""The records of the model registry: ``model.json`` (a version) and
``registry.json`` (a model's next version number and aliases), their formats
(``harness.records``), and the reading of one version's record, which is either a
``ModelVersion`` or a ``Damaged`` naming its file (harness/storage/model_registry.py).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness import records
from harness.errors import DamagedRecordError
from harness.storage.workspace import read_json_nofollow

ENTRY_FILE = "model.json"
STATE_FILE = "registry.json"


@dataclass
class ModelVersion:
    name: str
    version: int
    run_id: str
    experiment: str
    source_path: str  # relative to the run folder
    files: dict[str, str]  # path relative to files/ → sha256
    sha256: str  # of the file, or of the sorted (path, sha256) list for a folder
    size: int
    created: str
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)
    properties: dict[str, str] = field(default_factory=dict)
    path: str = ""  # the version's folder (not saved)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("path")
        return records.stamp(MODEL_FORMAT, data)


@dataclass
class RegistryState:
    """registry.json of one model: the next version number and the aliases."""

    next_version: int = 1
    aliases: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return records.stamp(STATE_FORMAT, asdict(self))


_SHA256 = re.compile(r"[0-9a-f]{64}")


def _model_values(data: dict[str, Any]) -> None:
    records.timestamp(data, "created")
    if data["version"] < 1 or data["size"] < 0:
        raise ValueError("field 'version' or 'size' is out of range")
    if not _SHA256.fullmatch(data["sha256"]):
        raise ValueError("field 'sha256' is not 64 lowercase hex digits")
    for name, digest in data["files"].items():
        # The names are opened, copied and (download exist_ok) replaced under files/ and
        # the destination: one that leaves them would be followed there.
        if not _inside(name):
            raise ValueError(f"field 'files' names {name[:40]!r}, not a path inside files/")
        if not _SHA256.fullmatch(digest):
            raise ValueError(f"field 'files' has a digest of {name[:40]!r} that is not sha256")


def _inside(name: str) -> bool:
    from harness.storage.safecopy import UnsafeCopyError, normalized

    try:
        return normalized(name, "a model's files/") == name and name != "."
    except UnsafeCopyError:
        return False


def _state_values(data: dict[str, Any]) -> None:
    if data.get("next_version", 1) < 1 or any(v < 1 for v in data.get("aliases", {}).values()):
        raise ValueError("a version number in it is below 1")


#: model.json and registry.json: format 1 added the version.
MODEL_FORMAT = records.Format(
    "model record", ModelVersion, version=1, unsaved=frozenset({"path"}), values=_model_values
)
STATE_FORMAT = records.Format("registry state", RegistryState, version=1, values=_state_values)


def load_entry(path: Path) -> ModelVersion | records.Damaged:
    """A version's model.json, or what is wrong with it."""
    try:
        entry = ModelVersion(**records.read(MODEL_FORMAT, read_json_nofollow(path)))
        if str(entry.version) != path.parent.name:
            raise ValueError("it does not describe this version")
        return entry
    except (OSError, ValueError, TypeError, RecursionError) as exc:
        name, version = path.parent.parent.name, path.parent.name
        return records.Damaged(
            MODEL_FORMAT.kind.removesuffix(" record") + " version",
            f"{name}:{version}",
            str(path),
            str(exc) or type(exc).__name__,
            fix=f"`harness models delete {name}:{version} --yes` or `harness doctor --fix`",
        )


def read_entry(path: Path) -> ModelVersion:
    """A version's model.json; damage is a one-line ``DamagedRecordError`` naming it."""
    entry = load_entry(path)
    if isinstance(entry, records.Damaged):
        raise DamagedRecordError(entry.line)
    return entry


def damaged_version(problem: records.Damaged) -> int:
    """The version number of a damaged version (its folder's name)."""
    return int(Path(problem.path).parent.name)
