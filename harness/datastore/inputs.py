"""Datastore paths for jobs: ``mount`` (the data where it is) or ``download``
(a copy in the workspace's input cache, keyed by the data's manifest hash so the
next run that reads the same content reuses it).

Every resolution returns a small record (datastore, path, mode, local path,
manifest hash) that the driver puts into the run's provenance.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.datastore import manifest as mf
from harness.datastore.errors import DatastoreError
from harness.datastore.paths import normalize_key
from harness.storage.workspace import harness_home

if TYPE_CHECKING:
    from harness.datastore.base import Datastore

MODES = ("mount", "download")


def cache_root() -> Path:
    return harness_home() / "cache" / "inputs"


def resolve(store: Datastore, path: str, mode: str = "mount") -> dict[str, Any]:
    """Make ``path`` of ``store`` available locally; returns the provenance record."""
    if mode not in MODES:
        raise DatastoreError(f"datastore mode '{mode}' is not one of {', '.join(MODES)}")
    key = normalize_key(path, allow_root=True)  # '' is the whole datastore
    files = store.require(key)
    entries = mf.entries_under(store.manifest(), key)
    tracked = {k: entries[k] for k, size in files if k in entries and entries[k].size == size}
    untracked = len(files) - len(tracked)
    record: dict[str, Any] = {
        **{k: v for k, v in store.describe().items() if k != "options"},
        "datastore": store.name,
        "path": key,
        "mode": mode,
        "files": len(files),
        "bytes": sum(size for _, size in files),
        "untracked_files": untracked,
    }
    record.pop("name")
    local = store.local_path(key) if mode == "mount" else None
    if mode == "mount" and local is None:
        print(
            f"harness: note: datastore '{store.name}' ({store.type}) is not on a local "
            f"disk; downloading '{key}' into the input cache instead of mounting it",
            file=sys.stderr,
        )
        record["mode"] = "download"
    if local is not None:
        record["manifest_sha256"] = mf.tree_hash(tracked, key) if not untracked else None
        record["local_path"] = str(local)
        return record
    digest, target, reused = _download_cached(store, key, files, tracked, untracked == 0)
    record.update(manifest_sha256=digest, local_path=str(target), cached=reused)
    return record


def _download_cached(
    store: Datastore,
    key: str,
    files: list[tuple[str, int]],
    tracked: dict[str, mf.FileEntry],
    complete: bool,
) -> tuple[str, Path, bool]:
    """(content hash, local path, reused) for a copy of ``key`` in the input cache."""
    name = key.rsplit("/", 1)[-1] or store.name  # the whole datastore: its name
    root = cache_root()
    if complete:
        digest = mf.tree_hash(tracked, key)
        if (root / digest / name).exists():
            return digest, root / digest / name, True
    root.mkdir(parents=True, exist_ok=True)
    staging = root / f".staging-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        got: dict[str, mf.FileEntry] = {}
        for src_key, _ in files:
            rel = mf.relative_to(src_key, key)
            dest = staging / name if src_key == key else staging / name / rel
            got[src_key] = store.get_file(src_key, dest, tracked.get(src_key))
        digest = mf.tree_hash(got, key)
        final = root / digest
        try:
            os.rename(staging, final)  # atomic: a reader sees all of it or none
        except OSError:
            # The entry exists: another run filled it first, or the same content was
            # cached under another name (a folder `x/` and its one file `f.csv`).
            final.mkdir(exist_ok=True)
            try:
                os.rename(staging / name, final / name)
            except OSError:
                if not (final / name).exists():
                    raise
        return digest, final / name, False
    finally:
        shutil.rmtree(staging, ignore_errors=True)
