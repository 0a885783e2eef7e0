"""Datastore ``local``: a folder on this machine (the workspace's ``default``).

Plain ``os`` calls rather than fsspec: this is the path the upload benchmark
measures against ``cp -r``, so each file costs one read, one write and a rename.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from harness.contract.datastore import (
    META_DIR,
    TEMP_MARK,
    Datastore,
    DatastoreError,
    FileEntry,
    Progress,
    UnsafePathError,
    check_entry,
    remove_dead_temps,
)
from harness.contract.files import atomic_write_bytes
from harness.plugins.datastores.fastcopy import write_file

#: Files are stored read-only so a mounted job cannot change them (root still can).
FILE_MODE = 0o444


class LocalDatastore(Datastore):
    type = "local"

    def __init__(self, name: str, url: str, options: dict[str, Any] | None = None) -> None:
        super().__init__(name, url, options)
        self.root = Path(url.removeprefix("file://")).expanduser().resolve()
        self._root_str = str(self.root)
        self._real_root = os.path.realpath(self._root_str)
        self._safe_dirs: set[str] = set()
        self._made_dirs: set[str] = set()
        if self.root.exists() and not self.root.is_dir():
            raise DatastoreError(f"datastore '{name}': {self.root} is not a folder")

    def _path(self, key: str) -> Path:
        return Path(self._safe(key))

    def _safe(self, key: str) -> str:
        """The file for ``key``; refuses a key that a symlink inside the root would
        carry outside it. Folders already checked are remembered (one ``lstat`` per
        file instead of one per path component)."""
        path = os.path.join(self._root_str, key) if key else self._root_str
        parent = os.path.dirname(path) if key else self._root_str
        if parent not in self._safe_dirs:
            self._check_inside(key, parent)
            self._safe_dirs.add(parent)
        if key and os.path.islink(path):
            self._check_inside(key, path)
        return path

    def _check_inside(self, key: str, path: str) -> None:
        real = os.path.realpath(path)
        if real != self._real_root and not real.startswith(self._real_root + os.sep):
            raise UnsafePathError(
                f"datastore '{self.name}': '{key}' leads outside the datastore "
                f"(to {real}) through a symlink; refusing"
            )

    def file_size(self, key: str) -> int | None:
        def regular_file() -> tuple[bool, int]:
            st = os.stat(self._safe(key))
            return stat.S_ISREG(st.st_mode), st.st_size

        return self.checked_size(key, regular_file)

    def iter_files(self, prefix: str) -> Iterator[tuple[str, int]]:
        base = self._path(prefix)
        if base.is_file():
            yield prefix, base.stat().st_size
            return
        found = []
        for dirpath, dirnames, filenames in os.walk(base):
            here = Path(dirpath)
            if here == self.root:
                dirnames[:] = [d for d in dirnames if d != META_DIR]
            rel_dir = here.relative_to(self.root).as_posix()
            for name in filenames:
                if TEMP_MARK in name:
                    continue
                key = name if rel_dir == "." else f"{rel_dir}/{name}"
                found.append((key, (here / name).stat().st_size))
        yield from sorted(found)

    def open_read(self, key: str) -> contextlib.AbstractContextManager[IO[bytes]]:
        return open(self._path(key), "rb")

    def put_file(
        self, key: str, src: Path, progress: Progress | None = None, *, exclusive: bool = False
    ) -> FileEntry:
        final = self._safe(key)
        parent = os.path.dirname(final)
        if parent not in self._made_dirs:
            os.makedirs(parent, exist_ok=True)
            self._made_dirs.add(parent)
        return write_file(str(src), final, FILE_MODE, progress, exclusive=exclusive)

    def read_meta(self, name: str) -> bytes | None:
        path = self.root / META_DIR / name
        return path.read_bytes() if path.exists() else None

    def write_meta(self, name: str, data: bytes) -> None:
        atomic_write_bytes(self.root / META_DIR / name, data)

    def meta_lock(self) -> contextlib.AbstractContextManager[Any]:
        from harness.contract import file_lock

        (self.root / META_DIR).mkdir(parents=True, exist_ok=True)
        return file_lock(self.root / META_DIR / "manifest.lock", timeout=600)

    def local_path(self, key: str) -> Path | None:
        return self._path(key)

    def get_file(
        self, key: str, dest: Path, expected: FileEntry | None, progress: Progress | None = None
    ) -> FileEntry:
        """The upload's copy in reverse: the kernel copies, another thread hashes,
        and the file gets its name (``O_TMPFILE`` + ``linkat``) only once it matches
        the manifest, so a killed download leaves no partial file."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        return write_file(
            self._safe(key),
            str(dest),
            0o644,
            progress,
            check=lambda entry: check_entry(self, key, entry, expected),
            algorithm=expected.algorithm if expected else None,
        )

    def remove_stale_temps(self, prefix: str) -> int:
        return remove_dead_temps(self._path(prefix))
