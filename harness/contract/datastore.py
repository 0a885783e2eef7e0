"""The ``Datastore`` API: Azure ML's ``Datastore.upload`` / ``download`` / ``as_mount``.

A datastore plugin implements a handful of storage primitives (``file_size``,
``iter_files``, ``put_file``, ``open_read``, metadata read/write, ``local_path``);
everything users call (upload with skip/overwrite rules and a manifest, download,
list, verify, mount-or-download paths) is built once, here and in
``harness/datastore/transfer.py``, on top of them. The base class is part of the
plugin contract, as the other components' are; the machinery under it (manifest,
paths, transfers, the input cache, the workspace's ``datastores.json``) is the
``harness.datastore`` package. ``get_datastore`` joins the two: a configured
datastore as an instance of the plugin class its type names.
"""

from __future__ import annotations

import builtins
import contextlib
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, ClassVar

from harness.datastore import manifest as mf
from harness.datastore.errors import (
    DatastoreError,
    DatastorePathNotFound,
    IntegrityError,
    UnsafePathError,
)
from harness.datastore.manifest import CHUNK, MANIFEST_NAME, FileEntry, new_digest
from harness.datastore.manifest import entry as digest_entry
from harness.datastore.paths import META_DIR, TEMP_MARK, normalize_key, remove_dead_temps
from harness.errors import DamagedRecordError

# A datastore plugin needs the names below and nothing else of harness.datastore.
__all__ = [
    "CHUNK",
    "MANIFEST_NAME",
    "META_DIR",
    "TEMP_MARK",
    "Datastore",
    "DatastoreError",
    "DatastorePathNotFound",
    "FileEntry",
    "IntegrityError",
    "Progress",
    "UnsafePathError",
    "check_datastore",
    "check_entry",
    "copy_stream",
    "digest_entry",
    "get_datastore",
    "new_digest",
    "remove_dead_temps",
    "temp_name",
]

#: Called with the number of bytes just moved.
Progress = Callable[[int], None]


class Datastore:
    """A named place that stores files under relative paths (keys).

    Get one with ``Datastore.get(name)`` (``None``: the workspace's default).
    """

    #: The type name the plugin registers the class under (``local``, ``fsspec``).
    type: ClassVar[str] = ""

    def __init__(self, name: str, url: str, options: dict[str, Any] | None = None) -> None:
        self.name = name
        self.url = url
        self.options = dict(options or {})

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} {self.url}>"

    # -- the public API ------------------------------------------------------
    @classmethod
    def get(cls, name: str | None = None) -> Datastore:
        """The datastore configured under ``name`` in the workspace (or the default)."""
        return get_datastore(name)

    def upload(
        self,
        src_dir: str | os.PathLike[str],
        target_path: str,
        overwrite: bool = False,
        show_progress: bool = True,
        hash: str | None = None,
    ) -> Any:
        """Upload every file under ``src_dir`` to ``target_path``; returns a summary.

        Identical files are skipped; existing different ones are skipped and listed
        unless ``overwrite``. Each file appears under its final name only once
        complete. The manifest gets each file's size and hash: BLAKE3, or SHA-256
        with ``hash="sha256"``.
        """
        from harness.datastore.transfer import upload

        with mf.hashing(hash):
            return upload(self, Path(src_dir), target_path, overwrite, show_progress)

    def download(
        self,
        target_path: str,
        dest_dir: str | os.PathLike[str],
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> Any:
        """Copy the files under ``target_path`` into ``dest_dir``, checking their hashes."""
        from harness.datastore.transfer import download

        return download(self, target_path, Path(dest_dir), overwrite, show_progress)

    def list(self, path: str = "") -> list[dict[str, Any]]:
        """Files under ``path``: ``{"path", "size", "hash", "sha256"}``: ``hash`` is
        ``blake3:HEX`` or ``sha256:HEX``, ``sha256`` the hex digest of a SHA-256 entry
        (both None for files not in the manifest)."""
        key = normalize_key(path, allow_root=True)
        entries = self.manifest()
        files = self.require(key) if key else list(self.iter_files(key))
        return [
            {
                "path": k,
                "size": size,
                "hash": entries[k].label if k in entries else None,
                "sha256": entries[k].sha256 if k in entries else None,
            }
            for k, size in files
        ]

    def path(self, target_path: str, mode: str = "mount") -> Path:
        """A local path for ``target_path``: the data itself (mount) or a cached copy."""
        from harness.datastore.inputs import resolve

        return Path(resolve(self, target_path, mode)["local_path"])

    def verify(self, path: str = "") -> Any:
        """Check every file under ``path`` against the manifest; returns a report."""
        from harness.datastore.transfer import verify

        return verify(self, path)

    def manifest(self) -> dict[str, FileEntry]:
        """The manifest's entries; a damaged one is a one-line ``DamagedRecordError``
        naming the datastore and the way out (list, verify, download and upload stop
        there rather than trust or overwrite it)."""
        try:
            return mf.parse(self.read_meta(MANIFEST_NAME))
        except DamagedRecordError as exc:
            raise DamagedRecordError(
                f"damaged manifest of datastore '{self.name}' ({self.url}/{META_DIR}/"
                f"{MANIFEST_NAME}): {exc}; `harness doctor --fix` moves it aside, then "
                "upload the data again to record it"
            ) from None

    def describe(self) -> dict[str, Any]:
        """What run records and ``harness datastore ls`` show: no credentials."""
        from harness.datastore.settings import public_options, public_url

        return {
            "name": self.name,
            "type": self.type,
            "url": public_url(self.url),
            "options": public_options(self.options),
        }

    # -- storage primitives a plugin implements -------------------------------
    def file_size(self, key: str) -> int | None:
        """Size of the file at ``key``; None if there is none. A folder raises."""
        raise NotImplementedError

    def checked_size(self, key: str, stat: Callable[[], tuple[bool, int]]) -> int | None:
        """For ``file_size``: ``stat()`` gives (is a file, size) of ``key`` as the
        storage sees it; here the same answers for every plugin: None when nothing is
        there, a clear error for a folder or for a path under a file."""
        try:
            is_file, size = stat()
        except FileNotFoundError:
            return None
        except NotADirectoryError:
            raise DatastoreError(
                f"datastore '{self.name}': '{key}' would be inside a file; pick another path"
            ) from None
        if not is_file:
            raise DatastoreError(f"datastore '{self.name}': '{key}' is a folder, not a file")
        return size

    def iter_files(self, prefix: str) -> Iterator[tuple[str, int]]:
        """(key, size) of every file at or under ``prefix`` ('' = all), sorted,
        leaving out the ``.harness`` folder and temporary upload names."""
        raise NotImplementedError

    def open_read(self, key: str) -> contextlib.AbstractContextManager[IO[bytes]]:
        raise NotImplementedError

    def put_file(
        self, key: str, src: Path, progress: Progress | None = None, *, exclusive: bool = False
    ) -> FileEntry:
        """Copy local ``src`` to ``key`` atomically (temporary name, then rename),
        hashing as it copies; returns the written file's entry.

        ``exclusive=True``: raise ``FileExistsError`` instead of replacing a file that
        exists at the moment of the final rename (another upload may have put it
        there since ``file_size`` said nothing was). Uploads without ``--overwrite``
        rely on it. A plugin without the keyword is served by
        ``transfer.put_new``, which holds ``meta_lock`` around check and put.
        """
        raise NotImplementedError

    def read_meta(self, name: str) -> bytes | None:
        """A file of the ``.harness`` metadata folder, or None."""
        raise NotImplementedError

    def write_meta(self, name: str, data: bytes) -> None:
        """Replace a metadata file atomically."""
        raise NotImplementedError

    def meta_lock(self) -> contextlib.AbstractContextManager[Any]:
        """A lock held around read-modify-write of the manifest."""
        raise NotImplementedError

    def local_path(self, key: str) -> Path | None:
        """The key's path on this machine's disk (what ``mount`` hands the job), or
        None when the data is not on a local filesystem."""
        return None

    def remove_stale_temps(self, prefix: str) -> int:
        """Delete temporary files that killed uploads left under ``prefix``."""
        return 0

    # -- helpers for implementations ---------------------------------------------
    def get_file(
        self, key: str, dest: Path, expected: FileEntry | None, progress: Progress | None = None
    ) -> FileEntry:
        """Copy ``key`` to local ``dest`` atomically; raise if it differs from ``expected``."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = temp_name(dest)
        # unpredictable name, created exclusively, never through a planted link
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            with (
                self.open_read(key) as reader,
                os.fdopen(os.open(tmp, flags, 0o644), "wb") as writer,
            ):
                entry = copy_stream(
                    reader, writer, progress, expected.algorithm if expected else None
                )
            check_entry(self, key, entry, expected)
            os.replace(tmp, dest)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return entry

    def hash_key(self, key: str, algorithm: str | None = None) -> FileEntry:
        """Size and hash of stored ``key`` (``algorithm``, else the current one)."""
        local = self.local_path(key)
        if local is not None:
            return mf.hash_file(str(local), algorithm)
        with self.open_read(key) as reader:
            return copy_stream(reader, None, None, algorithm)

    def require(self, key: str) -> builtins.list[tuple[str, int]]:
        files = list(self.iter_files(key))
        if not files:
            raise DatastorePathNotFound(
                f"datastore '{self.name}' has nothing at '{key}'; "
                f"see what it holds with: harness datastore list --datastore {self.name}"
            )
        return files


def get_datastore(name: str | None = None, home: Path | None = None) -> Datastore:
    """An instance of the datastore configured as ``name`` (None: the default) in
    the workspace ``home`` (default: the current one)."""
    from harness.contract.manager import get_plugin_manager
    from harness.datastore.settings import entry

    name, found = entry(name, home)
    cls = get_plugin_manager().get("datastore", str(found["type"]))
    store: Datastore = cls(name, str(found["url"]), dict(found.get("options") or {}))
    return store


def check_datastore(type_: str, name: str, url: str, options: dict[str, Any]) -> None:
    """Make the plugin's instance once, so that a missing package or a bad URL
    fails when the datastore is added rather than at its first use."""
    from harness.contract.manager import get_plugin_manager

    get_plugin_manager().get("datastore", type_)(name, url, options)


def temp_name(final: Path | str) -> Any:
    """A sibling of ``final`` that listings skip: ``.NAME.harness-tmp-PID-RANDOM``."""
    final_str = str(final)
    head, _, tail = final_str.rpartition("/")
    name = f".{tail}{TEMP_MARK}{os.getpid()}-{secrets.token_hex(4)}"
    joined = f"{head}/{name}" if head else name
    return Path(joined) if isinstance(final, Path) else joined


def copy_stream(
    reader: IO[bytes],
    writer: IO[bytes] | None,
    progress: Progress | None,
    algorithm: str | None = None,
) -> FileEntry:
    """Copy (or, with no writer, just read) a stream, hashing it on the way."""
    digest = mf.new_digest(algorithm)
    size = 0
    while chunk := reader.read(mf.CHUNK):
        digest.update(chunk)
        if writer is not None:
            writer.write(chunk)
        size += len(chunk)
        if progress is not None:
            progress(len(chunk))
    return mf.entry(size, digest)


def check_entry(store: Datastore, key: str, got: FileEntry, expected: FileEntry | None) -> None:
    from harness.datastore.errors import IntegrityError

    if expected is not None and got != expected:
        raise IntegrityError(
            f"datastore '{store.name}': '{key}' is corrupt (size {got.size}, "
            f"{got.label[:19]}…; the manifest says size {expected.size}, "
            f"{expected.label[:19]}…); re-upload it with --overwrite"
        )
