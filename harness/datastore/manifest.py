"""The manifest: size and sha256 of every file a datastore holds.

One JSON file per datastore (``.harness/manifest.json`` at its root), keyed by the
file's datastore path. Uploads merge their entries in under a lock; ``verify``
and the ``${datastore:...}`` resolver read it. The *manifest hash* of a path is
the sha256 of the sorted entries under it: the content identity that provenance
records and the input cache is keyed by.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from harness.datastore.paths import is_under

MANIFEST_VERSION = 1
#: Read size for hashing and copying: large enough that syscalls do not dominate.
CHUNK = 1 << 20


@dataclass(frozen=True)
class FileEntry:
    size: int
    sha256: str

    def to_json(self) -> dict[str, Any]:
        return {"size": self.size, "sha256": self.sha256}


def parse(data: bytes | None) -> dict[str, FileEntry]:
    if not data:
        return {}
    raw = json.loads(data)
    return {key: FileEntry(int(v["size"]), str(v["sha256"])) for key, v in raw["files"].items()}


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
        digest.update(f"{rel}\0{entry.size}\0{entry.sha256}\n".encode())
    return digest.hexdigest()


def relative_to(key: str, prefix: str) -> str:
    """``key`` relative to ``prefix``; a file named by ``prefix`` itself keeps its name."""
    if not prefix:
        return key
    if key == prefix:
        return key.rsplit("/", 1)[-1]
    return key[len(prefix) + 1 :]


def hash_file(path: str) -> tuple[int, str]:
    """(size, sha256) of a local file."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb", buffering=0) as handle:
        buffer = bytearray(CHUNK)
        view = memoryview(buffer)
        while n := handle.readinto(buffer):
            digest.update(view[:n])
            size += n
    return size, digest.hexdigest()
