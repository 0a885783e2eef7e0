"""Datastore paths for jobs: ``mount`` (the data where it is) or ``download``
(a copy in the workspace's input cache, keyed by the data's manifest hash so the
next run that reads the same content reuses it).

Every resolution returns a small record (datastore, path, mode, local path,
manifest hash) that the driver puts into the run's provenance.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.datastore import manifest as mf
from harness.datastore.errors import DatastoreError
from harness.datastore.paths import normalize_key
from harness.storage.workspace import harness_home

if TYPE_CHECKING:
    from harness.contract.datastore import Datastore

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
        entry = root / digest / name
        if os.path.lexists(entry):
            if _cache_intact(entry, key, tracked):
                return digest, entry, True
            print(
                f"harness: note: the cached copy of '{key}' ({entry}) no longer matches the "
                "datastore's manifest; downloading it again",
                file=sys.stderr,
            )
            _discard(entry)
    root.mkdir(parents=True, exist_ok=True)
    staging = root / f".staging-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        got: dict[str, mf.FileEntry] = {}
        for src_key, _ in files:
            rel = mf.relative_to(src_key, key)
            dest = staging / name if src_key == key else staging / name / rel
            got[src_key] = store.get_file(src_key, dest, tracked.get(src_key))
            os.chmod(dest, 0o444)  # read-only to jobs (the check below catches root too)
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
        _write_stamp(final / name)
        return digest, final / name, False
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _stamp_path(entry: Path) -> Path:
    return entry.with_name(f".stamp-{entry.name}.json")


def _cached_files(entry: Path) -> dict[str, os.stat_result] | None:
    """Relative path → lstat of every file of a cache entry; None if anything in it is
    a symlink or not a regular file (a job must not be handed a link out)."""
    found: dict[str, os.stat_result] = {}
    st = os.lstat(entry)
    if stat.S_ISREG(st.st_mode):
        return {entry.name: st}
    if not stat.S_ISDIR(st.st_mode):
        return None
    for dirpath, dirnames, filenames in os.walk(entry):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            info = os.lstat(path)
            if stat.S_ISDIR(info.st_mode):
                continue
            if not stat.S_ISREG(info.st_mode):
                return None
            found[os.path.relpath(path, entry)] = info
    return found


def _write_stamp(entry: Path) -> None:
    """Size and mtime of each cached file as written: the cheap half of the check."""
    from harness.storage.workspace import atomic_write_json

    files = _cached_files(entry) or {}
    atomic_write_json(
        _stamp_path(entry), {rel: [st.st_size, st.st_mtime_ns] for rel, st in files.items()}
    )


def _cache_intact(entry: Path, key: str, tracked: dict[str, mf.FileEntry]) -> bool:
    """Whether a cache entry still holds exactly the manifest's bytes: the same set of
    regular files, each with its size; a file whose mtime differs from the stamp taken
    at download is hashed in full."""
    import json

    try:
        files = _cached_files(entry)
    except OSError:
        return False
    if files is None:
        return False
    try:
        stamp = json.loads(_stamp_path(entry).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stamp = {}
    single = entry.is_file()
    expected = {(entry.name if single else mf.relative_to(k, key)): fe for k, fe in tracked.items()}
    if set(files) != set(expected):
        return False
    hashed = False
    for rel, fe in expected.items():
        st = files[rel]
        if st.st_size != fe.size:
            return False
        if stamp.get(rel) == [st.st_size, st.st_mtime_ns]:
            continue
        path = entry if single else entry / rel
        if mf.hash_file(str(path), fe.algorithm) != fe:  # the manifest entry's own algorithm
            return False
        hashed = True
    if hashed:
        with contextlib.suppress(OSError):
            _write_stamp(entry)  # the bytes are right: next time the cheap check holds
    return True


def _discard(entry: Path) -> None:
    trash = entry.with_name(f".discarded-{entry.name}-{secrets.token_hex(4)}")
    try:
        os.rename(entry, trash)
    except OSError:
        return
    _stamp_path(entry).unlink(missing_ok=True)
    if trash.is_dir() and not trash.is_symlink():
        for dirpath, _, _ in os.walk(trash):  # read-only files in read-only-able folders
            os.chmod(dirpath, 0o755)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        trash.unlink(missing_ok=True)
