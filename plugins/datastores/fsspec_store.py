"""Datastore ``fsspec``: any fsspec URL (``file://``, ``memory://``, ``s3://``…).

fsspec does the storage work; credentials come from the filesystem library's
usual sources (environment, config files), never from the workspace.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import posixpath
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from harness.contract.datastore import (
    CHUNK,
    META_DIR,
    TEMP_MARK,
    Datastore,
    DatastoreError,
    FileEntry,
    Progress,
    UnsafePathError,
    digest_entry,
    new_digest,
    temp_name,
)
from harness.contract.files import harness_home


def _filesystem(url: str, options: dict[str, Any]) -> tuple[Any, str]:
    try:
        import fsspec
        from fsspec.core import split_protocol
    except ImportError:
        raise DatastoreError(
            "the fsspec datastore needs fsspec: pip install 'harness-ml[datastores]'"
        ) from None
    protocol, _ = split_protocol(url)
    try:
        fs, root = fsspec.core.url_to_fs(url, **options)
    except ImportError as exc:
        # fsspec's message names the package: "Install s3fs to access S3".
        raise DatastoreError(f"cannot open {protocol}:// datastore: {exc}") from None
    except ValueError as exc:
        raise DatastoreError(f"cannot open datastore URL '{url}': {exc}") from None
    return fs, root.rstrip("/")


class FsspecDatastore(Datastore):
    type = "fsspec"

    def __init__(self, name: str, url: str, options: dict[str, Any] | None = None) -> None:
        super().__init__(name, url, options)
        self.is_local = False
        self.fs, self.root = _filesystem(url, self.options)
        self.is_local = "file" in _protocols(self.fs)

    def _full(self, key: str) -> str:
        full = posixpath.join(self.root, key) if key else self.root
        if self.is_local:  # file://: a symlink inside the root must not lead out of it
            root = os.path.realpath(self.fs._strip_protocol(self.root))
            real = os.path.realpath(self.fs._strip_protocol(full))
            if real != root and not real.startswith(root + os.sep):
                raise UnsafePathError(
                    f"datastore '{self.name}': '{key}' leads outside the datastore "
                    f"(to {real}) through a symlink; refusing"
                )
        return full

    def file_size(self, key: str) -> int | None:
        full = self._full(key)

        def stat() -> tuple[bool, int]:
            info = self.fs.info(full)
            return info.get("type") != "directory", int(info.get("size") or 0)

        return self.checked_size(key, stat)

    def iter_files(self, prefix: str) -> Iterator[tuple[str, int]]:
        full = self._full(prefix)
        try:
            found = self.fs.find(full, detail=True, withdirs=False)
        except FileNotFoundError:
            return
        base = self.fs._strip_protocol(self.root).rstrip("/")
        for path in sorted(found):
            info = found[path]
            rel = path[len(base) :].lstrip("/") if base else path.lstrip("/")
            if rel.split("/", 1)[0] == META_DIR or TEMP_MARK in rel.rsplit("/", 1)[-1]:
                continue
            yield rel, int(info.get("size") or 0)

    def open_read(self, key: str) -> contextlib.AbstractContextManager[IO[bytes]]:
        return self.fs.open(self._full(key), "rb")

    def put_file(
        self, key: str, src: Path, progress: Progress | None = None, *, exclusive: bool = False
    ) -> FileEntry:
        final = self._full(key)
        tmp = temp_name(final)
        digest = new_digest()
        size = 0
        self.fs.makedirs(posixpath.dirname(final), exist_ok=True)
        try:
            with open(src, "rb") as reader, self.fs.open(tmp, "wb") as writer:
                while chunk := reader.read(CHUNK):
                    digest.update(chunk)
                    writer.write(chunk)
                    size += len(chunk)
                    if progress is not None:
                        progress(len(chunk))
            if exclusive:
                # fsspec has no "rename unless it exists": check and move under the
                # datastore's lock (which serialises writers on this machine)
                with self.meta_lock():
                    if self.fs.exists(final):
                        raise FileExistsError(final)
                    self.fs.mv(tmp, final)
            else:
                self.fs.mv(tmp, final)
        except BaseException:
            with contextlib.suppress(Exception):
                self.fs.rm(tmp)
            raise
        return digest_entry(size, digest)

    def read_meta(self, name: str) -> bytes | None:
        path = self._full(f"{META_DIR}/{name}")
        try:
            return bytes(self.fs.cat_file(path))
        except FileNotFoundError:
            return None

    def write_meta(self, name: str, data: bytes) -> None:
        final = self._full(f"{META_DIR}/{name}")
        tmp = temp_name(final)
        self.fs.makedirs(posixpath.dirname(final), exist_ok=True)
        self.fs.pipe_file(tmp, data)
        self.fs.mv(tmp, final)

    def meta_lock(self) -> contextlib.AbstractContextManager[Any]:
        # Remote stores have no portable lock; this serialises writers on this machine.
        from filelock import FileLock

        folder = harness_home() / "locks"
        folder.mkdir(parents=True, exist_ok=True)
        token = hashlib.sha256(self.url.encode()).hexdigest()[:16]
        return FileLock(str(folder / f"datastore-{token}.lock"), timeout=600)

    def local_path(self, key: str) -> Path | None:
        if not self.is_local:
            return None
        return Path(self.fs._strip_protocol(self._full(key)))

    def remove_stale_temps(self, prefix: str) -> int:
        if not self.is_local:
            return 0  # no way to tell a live writer elsewhere from a dead one
        from harness.contract.datastore import remove_dead_temps

        local = self.local_path(prefix)
        return remove_dead_temps(local) if local is not None else 0


def _protocols(fs: Any) -> tuple[str, ...]:
    protocol = fs.protocol
    return (protocol,) if isinstance(protocol, str) else tuple(protocol)
