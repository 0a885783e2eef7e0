"""The model registry: ``$HARNESS_HOME/models/<name>/<version>/``.

```
models/<name>/
  .lock            held while a version number is taken or aliases change
  registry.json    {"next_version": N, "aliases": {"production": 3}}
  <version>/       model.json (the entry) + files/ (the copied model, sha256 in model.json)
```

Versions come from the ``next_version`` counter read and bumped under the lock, so
concurrent registrations never share a number and a deleted version is never
reused (as in MLflow). The files are copied into a hidden staging folder and
renamed into place with ``model.json`` already inside, so a version either exists
completely or not at all.

A version whose ``model.json`` cannot be read is a ``Damaged`` version (``scan``):
listings show it as one row, asking for it by number or alias is one line naming
the file, and ``delete`` removes it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

from filelock import FileLock

from harness import inputs, records
from harness.errors import ConfigError, DamagedRecordError, NotFoundError, warn, warn_once
from harness.ids import NAME_PATTERN, check_alias, check_model_name, check_model_version
from harness.run.record import RunRecord
from harness.storage.model_records import (
    ENTRY_FILE,
    STATE_FILE,
    STATE_FORMAT,
    ModelVersion,
    RegistryState,
    damaged_version,
    load_entry,
)
from harness.storage.workspace import atomic_write_json, harness_home, read_json_nofollow

__all__ = [
    "ENTRY_FILE",
    "STATE_FILE",
    "ModelRegistry",
    "ModelVersion",
    "RegistryState",
    "check_name",
    "download",
    "parse_ref",
    "sha256_file",
]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def parse_ref(ref: str) -> tuple[str, int | None, str | None]:
    """``NAME``, ``NAME:VERSION`` or ``NAME@ALIAS`` → (name, version, alias)."""
    name, alias = ref, None
    version: int | None = None
    if "@" in ref:
        name, alias = ref.split("@", 1)
    elif ":" in ref:
        name, raw = ref.split(":", 1)
        if not raw.isdigit() or int(raw) < 1:
            raise ConfigError(f"'{ref}': the version after ':' must be a number ≥ 1")
        version = check_model_version(raw)
    check_name(name)
    if alias is not None:
        check_alias(alias)
    return name, version, alias


def check_name(name: str) -> None:
    check_model_name(name)


class ModelRegistry:
    def __init__(self, home: Path | None = None) -> None:
        self.root = (home or harness_home()) / "models"

    # -- registering ----------------------------------------------------------
    def register(
        self,
        name: str,
        record: RunRecord,
        model_path: str,
        *,
        metrics: dict[str, Any],
        tags: dict[str, str] | None = None,
        description: str = "",
        properties: dict[str, str] | None = None,
    ) -> ModelVersion:
        """Copy ``model_path`` (inside the run folder) in as the next version of ``name``."""
        source, relative = self._source(record, model_path)
        return self._add(
            name,
            source,
            relative,
            run_id=record.id,
            experiment=record.experiment,
            params=record.params,
            metrics=metrics,
            tags=tags,
            description=description,
            properties=properties,
        )

    def register_path(
        self,
        name: str,
        model_path: str | os.PathLike[str],
        *,
        tags: dict[str, str] | None = None,
        description: str = "",
        properties: dict[str, str] | None = None,
    ) -> ModelVersion:
        """Copy a local file or folder (made outside any run) in as the next version.

        Azure ML's ``Model.register(workspace, model_path, model_name)``; the entry has
        no run (``run_id`` is empty)."""
        source = Path(model_path).expanduser().resolve()
        if not source.exists():
            raise NotFoundError(f"model_path '{model_path}' does not exist")
        return self._add(
            name,
            source,
            str(source),
            run_id="",
            experiment="",
            params={},
            metrics={},
            tags=tags,
            description=description,
            properties=properties,
        )

    def _add(
        self,
        name: str,
        source: Path,
        relative: str,
        *,
        run_id: str,
        experiment: str,
        params: dict[str, Any],
        metrics: dict[str, Any],
        tags: dict[str, str] | None,
        description: str,
        properties: dict[str, str] | None,
    ) -> ModelVersion:
        from harness.run.store import now_iso

        check_name(name)
        tags = inputs.tags(tags or {})  # the same limits as a run's, on every surface
        properties = inputs.properties(properties or {})
        description = inputs.description(description)
        folder = self.root / name
        folder.mkdir(parents=True, exist_ok=True)
        staging = folder / f".staging-{uuid.uuid4().hex}"
        try:
            files, size = _copy_in(source, staging / "files")
            if source.is_file():
                digest = files[source.name]
            else:
                digest = hashlib.sha256(repr(sorted(files.items())).encode()).hexdigest()
            with FileLock(str(folder / ".lock")):
                state = self._state(folder, strict=True)
                existing = [int(p.name) for p in folder.iterdir() if p.name.isdigit()]
                version = max([int(state.get("next_version", 1)), *(v + 1 for v in existing)])
                state["next_version"] = version + 1
                atomic_write_json(folder / STATE_FILE, RegistryState(**state).to_json())
            entry = ModelVersion(
                name=name,
                version=version,
                run_id=run_id,
                experiment=experiment,
                source_path=relative,
                files=files,
                sha256=digest,
                size=size,
                created=now_iso(),
                description=description,
                tags=dict(tags or {}),
                params=params,
                metrics=metrics,
                properties=dict(properties or {}),
            )
            atomic_write_json(staging / ENTRY_FILE, entry.to_json())
            staging.rename(folder / str(version))
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        entry.path = str(folder / str(version))
        return entry

    @staticmethod
    def _source(record: RunRecord, model_path: str) -> tuple[Path, str]:
        from harness.storage.safecopy import run_file

        assert record.path is not None
        root = Path(os.path.abspath(record.path))
        source = run_file(root, model_path, f"run {record.id}")
        if not source.exists():
            raise NotFoundError(
                f"run {record.id} has no '{model_path}' "
                f"(see `harness runs show {record.id}` for its files)"
            )
        return source, source.relative_to(root).as_posix()

    # -- reading --------------------------------------------------------------
    @staticmethod
    def _state(folder: Path, *, strict: bool = False) -> dict[str, Any]:
        """registry.json. Damaged: readers warn and see no aliases; writers
        (``strict``) refuse, so a counter is never reset by accident."""
        path = folder / STATE_FILE
        if not os.path.lexists(path):
            return {"next_version": 1, "aliases": {}}
        try:
            state = RegistryState(**records.read(STATE_FORMAT, read_json_nofollow(path)))
            return asdict(state)
        except (OSError, ValueError, TypeError) as exc:
            message = f"damaged model record {path}: {exc}; `harness doctor --fix` rebuilds it"
            if strict:
                raise DamagedRecordError(message) from None
            warn_once(message)
            return {"next_version": 1, "aliases": {}}

    def names(self) -> list[str]:
        """Every model with at least one version (readable or damaged)."""
        if not self.root.is_dir():
            return []
        return sorted(
            p.name
            for p in self.root.iterdir()
            if NAME_PATTERN.fullmatch(p.name) and _is_dir(p) and _version_folders(p)
        )

    def scan(self, name: str) -> tuple[list[ModelVersion], list[records.Damaged]]:
        """The readable versions of ``name`` (oldest first, aliases filled in) and one
        ``Damaged`` per version whose model.json cannot be read."""
        check_name(name)
        folder = self.root / name
        if not _is_dir(folder):
            return [], []
        aliases = self._state(folder).get("aliases", {})
        found, damaged = [], []
        for child in _version_folders(folder):
            entry = load_entry(child / ENTRY_FILE)
            if isinstance(entry, records.Damaged):
                damaged.append(entry)
                continue
            entry.path = str(child)
            entry.aliases = sorted(a for a, v in aliases.items() if v == entry.version)
            found.append(entry)
        found.sort(key=lambda e: e.version)
        return found, sorted(damaged, key=damaged_version)

    def versions(self, name: str) -> list[ModelVersion]:
        """Readable versions of ``name``; each damaged one is said in one warning line."""
        found, damaged = self.scan(name)
        for problem in damaged:
            warn_once(str(problem))
        return found

    def get(self, ref: str) -> ModelVersion:
        """``NAME`` (latest), ``NAME:VERSION`` or ``NAME@ALIAS``. A damaged version
        asked for is a one-line ``DamagedRecordError`` naming its file; ``NAME`` is
        the newest readable version (a newer damaged one is said in a warning)."""
        name, version, alias = parse_ref(ref)
        versions, damaged = self.scan(name)
        if not versions and not damaged:
            known = ", ".join(self.names()) or "(none registered)"
            raise NotFoundError(f"no model '{name}'. Models: {known}")
        if alias is not None:
            aliases = self._state(self.root / name).get("aliases", {})
            if alias not in aliases:
                known = ", ".join(sorted(aliases)) or "(none set)"
                raise NotFoundError(f"model '{name}' has no alias '{alias}'. Aliases: {known}")
            version = int(aliases[alias])
        if version is None:
            newer = [
                d for d in damaged if not versions or damaged_version(d) > versions[-1].version
            ]
            if not versions:
                raise DamagedRecordError(newer[-1].line)
            for problem in newer:
                warn_once(str(problem))
            return versions[-1]
        for entry in versions:
            if entry.version == version:
                return entry
        for problem in damaged:
            if damaged_version(problem) == version:
                raise DamagedRecordError(problem.line)
        have = ", ".join(str(e.version) for e in versions)
        raise NotFoundError(f"model '{name}' has no version {version}. Versions: {have}")

    def lookup(self, name: str, version: int) -> ModelVersion | records.Damaged:
        """One version by number, readable or damaged (``models delete`` takes both)."""
        check_name(name)
        folder = self.root / name / str(check_model_version(version))
        if not _is_dir(folder):
            self.get(f"{name}:{version}")  # the usual "no such version" line
            raise NotFoundError(f"model '{name}' has no version {version}")
        return load_entry(folder / ENTRY_FILE)

    # -- changing -------------------------------------------------------------
    def set_alias(self, name: str, version: int, alias: str) -> ModelVersion:
        check_alias(alias)
        check_name(name)
        self._state(self.root / name, strict=True)  # damaged: one line, before anything
        entry = self.get(f"{name}:{check_model_version(version)}")
        folder = self.root / name
        with FileLock(str(folder / ".lock")):
            state = self._state(folder, strict=True)
            state.setdefault("aliases", {})[alias] = version
            atomic_write_json(folder / STATE_FILE, RegistryState(**state).to_json())
        entry.aliases = sorted({*entry.aliases, alias})
        return entry

    def remove_alias(self, name: str, alias: str) -> int:
        """Forget ``alias`` of ``name``; returns the version it pointed at."""
        check_alias(alias)
        check_name(name)
        folder = self.root / name
        self._state(folder, strict=True)
        with FileLock(str(folder / ".lock")):
            state = self._state(folder, strict=True)
            aliases = state.setdefault("aliases", {})
            if alias not in aliases:
                known = ", ".join(sorted(aliases)) or "(none set)"
                raise NotFoundError(f"model '{name}' has no alias '{alias}'. Aliases: {known}")
            version = int(aliases.pop(alias))
            atomic_write_json(folder / STATE_FILE, RegistryState(**state).to_json())
        return version

    def delete(self, name: str, version: int) -> ModelVersion | records.Damaged:
        """Delete one version, also one whose model.json is damaged."""
        check_name(name)
        self._state(self.root / name, strict=True)
        entry = self.lookup(name, version)
        folder = self.root / name
        with FileLock(str(folder / ".lock")):
            state = self._state(folder, strict=True)
            state["aliases"] = {a: v for a, v in state.get("aliases", {}).items() if v != version}
            atomic_write_json(folder / STATE_FILE, RegistryState(**state).to_json())
            trash = folder / f".deleted-{version}-{uuid.uuid4().hex}"
            (folder / str(version)).rename(trash)
        shutil.rmtree(trash, ignore_errors=True)
        return entry


def _is_dir(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


def _version_folders(folder: Path) -> list[Path]:
    """The version folders of a model (``1``, ``2``, …; not ``.staging-*``)."""
    return [
        child
        for child in folder.iterdir()
        if child.name.isascii() and child.name.isdigit() and _is_dir(child)
    ]


def _copy_in(source: Path, dest: Path) -> tuple[dict[str, str], int]:
    """Copy a file or folder to ``dest/`` (regular files only, symlinks skipped with a
    warning); return (relative path → sha256, total bytes)."""
    from harness.storage.safecopy import copy_out

    if source.is_dir():
        dest.parent.mkdir(parents=True, exist_ok=True)  # copy_out creates dest itself
    else:
        dest.mkdir(parents=True)  # the file goes inside, under its own name
    report = copy_out(source, dest, hash_files=True)
    for rel in report.skipped:
        warn(f"skipped {source.name}/{rel}: a symlink or special file, not registered")
    return report.files, report.bytes


def download(entry: ModelVersion, dest: Path) -> Path:
    """Copy a version's files to ``dest`` (a file path, or an existing folder), verified."""
    from harness.storage.safecopy import copy_out

    files_dir = Path(entry.path) / "files"
    if len(entry.files) == 1 and (files_dir / next(iter(entry.files))).is_file():
        ((name, digest),) = entry.files.items()
        source = files_dir / name
    else:
        source, digest = files_dir, ""
    if source.is_dir():
        target = dest / entry.name if dest.is_dir() else dest
        report = copy_out(source, target, hash_files=True)
        if report.files != entry.files:
            shutil.rmtree(target, ignore_errors=True)  # a folder we just created
            raise ConfigError(
                f"{entry.name}:{entry.version}: the stored files fail their sha256 check"
            )
        return target
    if sha256_file(source) != digest:
        raise ConfigError(f"{entry.name}:{entry.version}: the stored file fails its sha256 check")
    report = copy_out(source, dest)
    assert report.target is not None
    return report.target
