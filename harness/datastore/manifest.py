"""The manifest: size and content hash of every file a datastore holds.

One JSON file per datastore (``.harness/manifest.json`` at its root), keyed by the
file's datastore path. Uploads merge their entries in under a lock; ``verify``
and the ``${datastore:...}`` resolver read it. The *manifest hash* of a path is
the sha256 of the sorted entries under it: the content identity that provenance
records and the input cache is keyed by.

File hashes are BLAKE3 (the ``blake3`` package, multi-threaded over large files)
unless an upload asks for SHA-256 (``--hash sha256``). SHA-256 ran at 1.4 GB/s on
one core of the 2-core development machine and held an upload of large files to
0.47 of ``cp -r``; BLAKE3 hashes several times faster and on every core. An
entry records its algorithm (``{"size", "blake3"}`` or ``{"size", "sha256"}``), so
manifests written before keep their SHA-256 entries, and every comparison hashes
the other side with the entry's own algorithm.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from harness.datastore.paths import is_under

MANIFEST_VERSION = 1
#: The manifest's file in a datastore's metadata folder.
MANIFEST_NAME = "manifest.json"
#: Read size for hashing and copying: large enough that syscalls do not dominate.
CHUNK = 1 << 20


ALGORITHMS = ("blake3", "sha256")
DEFAULT_ALGORITHM = "blake3"
#: Process-wide, so the transfer's worker threads see an upload's choice.
_process_algorithm = [DEFAULT_ALGORITHM]


def algorithm() -> str:
    """The algorithm new file hashes use (``hashing`` changes it for a block)."""
    return _process_algorithm[0]


@contextmanager
def hashing(name: str | None) -> Iterator[None]:
    """New file hashes use ``name`` (blake3 | sha256) in the block, in every thread."""
    if name is None:
        yield
        return
    if name not in ALGORITHMS:
        from harness.datastore.errors import DatastoreError

        raise DatastoreError(f"unknown hash '{name}'; use one of {', '.join(ALGORITHMS)}")
    previous = _process_algorithm[0]
    _process_algorithm[0] = name
    try:
        yield
    finally:
        _process_algorithm[0] = previous


def new_digest(name: str | None = None) -> Any:
    """A hashlib-style object (update, hexdigest) for ``name`` or the current algorithm."""
    name = name or algorithm()
    if name == "blake3":
        from blake3 import blake3

        # AUTO: large updates are hashed on every core (the GIL is released).
        return blake3(max_threads=blake3.AUTO)
    return hashlib.sha256()


@dataclass(frozen=True)
class FileEntry:
    size: int
    digest: str
    algorithm: str = "sha256"

    @property
    def sha256(self) -> str | None:
        return self.digest if self.algorithm == "sha256" else None

    @property
    def label(self) -> str:
        """``blake3:HEX`` / ``sha256:HEX`` for messages and listings."""
        return f"{self.algorithm}:{self.digest}"

    def to_json(self) -> dict[str, Any]:
        return {"size": self.size, self.algorithm: self.digest}


def entry(size: int, digest: Any) -> FileEntry:
    """A FileEntry from a finished ``new_digest`` object."""
    name = "sha256" if getattr(digest, "name", "") == "sha256" else "blake3"
    return FileEntry(size, digest.hexdigest(), name)


def parse(data: bytes | None) -> dict[str, FileEntry]:
    if not data:
        return {}
    raw = json.loads(data)
    entries = {}
    for key, value in raw["files"].items():
        name = next((a for a in ALGORITHMS if a in value), "sha256")
        entries[key] = FileEntry(int(value["size"]), str(value[name]), name)
    return entries


def dump(entries: dict[str, FileEntry]) -> bytes:
    files = {key: entries[key].to_json() for key in sorted(entries)}
    # Compact: the C encoder (no indent) keeps a 100,000-file manifest well under a second.
    return json.dumps({"version": MANIFEST_VERSION, "files": files}, separators=(",", ":")).encode()


def entries_under(entries: dict[str, FileEntry], prefix: str) -> dict[str, FileEntry]:
    return {key: e for key, e in entries.items() if is_under(key, prefix)}


def tree_hash(entries: dict[str, FileEntry], prefix: str) -> str:
    """sha256 over (path relative to ``prefix``, size, sha256) of the entries, sorted.

    Relative paths make the hash independent of where the data sits, so the same
    tree uploaded under two names shares one input-cache entry.
    """
    digest = hashlib.sha256()
    for key in sorted(entries):
        rel = relative_to(key, prefix)
        entry = entries[key]
        # SHA-256 entries hash as they always did (the cache keys of existing
        # manifests stay valid); others carry their algorithm's name.
        tag = entry.digest if entry.algorithm == "sha256" else entry.label
        digest.update(f"{rel}\0{entry.size}\0{tag}\n".encode())
    return digest.hexdigest()


def relative_to(key: str, prefix: str) -> str:
    """``key`` relative to ``prefix``; a file named by ``prefix`` itself keeps its name."""
    if not prefix:
        return key
    if key == prefix:
        return key.rsplit("/", 1)[-1]
    return key[len(prefix) + 1 :]


def hash_file(path: str, name: str | None = None) -> FileEntry:
    """Size and hash (``name``, else the current algorithm) of a local file."""
    digest = new_digest(name)
    size = 0
    with open(path, "rb", buffering=0) as handle:
        buffer = bytearray(CHUNK)
        view = memoryview(buffer)
        while n := handle.readinto(buffer):
            digest.update(view[:n])
            size += n
    return entry(size, digest)
