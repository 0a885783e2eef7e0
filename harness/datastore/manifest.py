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
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from harness.datastore.paths import TEMP_MARK, is_under
from harness.errors import DamagedRecordError

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


def new_digest(name: str | None = None, threads: int | None = None) -> Any:
    """A hashlib-style object (update, hexdigest) for ``name`` or the current algorithm;
    ``threads``: the most BLAKE3 may use for one update (default: every core)."""
    name = name or algorithm()
    if name == "blake3":
        from blake3 import blake3

        # AUTO: large updates are hashed on every core (the GIL is released).
        return blake3(max_threads=threads or blake3.AUTO)
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


#: Anything ``normalize_key`` would change or refuse, searched in all keys at once
#: (NUL-separated: no key holds one): a 100,000-entry manifest is checked in a few milliseconds.
_BAD_KEY = re.compile(
    r"(?:^|\x00)(?:$|\x00|[/~\s]|[^\x00]:)|\s(?:\x00|$)|\\|//|(?:^|\x00|/)\.{1,2}(?:/|\x00|$)"
    r"|(?:^|\x00)\.harness(?:/|\x00|$)|" + re.escape(TEMP_MARK)
)
_HEX = re.compile(r"[0-9a-f]*")


def parse(data: bytes | None) -> dict[str, FileEntry]:
    """The manifest's entries, each checked: a normalised key (one that cannot leave
    the datastore or a download's destination), a size ≥ 0 and a 64-hex digest.
    Anything else is a ``DamagedRecordError`` saying what (``Datastore.manifest``
    adds which file)."""
    if not data:
        return {}
    try:
        raw = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise DamagedRecordError(f"not JSON ({str(exc)[:60]})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("files"), dict):
        raise DamagedRecordError("not a manifest (no 'files' object)")
    version = raw.get("version", 1)
    if version.__class__ is not int or not 1 <= version <= MANIFEST_VERSION:
        raise DamagedRecordError(
            f"manifest version {version!r:.20} (this harness reads 1 to {MANIFEST_VERSION})"
        )
    files: dict[str, Any] = raw["files"]
    keys = "\x00".join(files)
    bad = _BAD_KEY.search(keys) if files else None
    if bad is not None or keys.count("\x00") != max(len(files) - 1, 0):
        where = keys.rfind("\x00", 0, bad.start() + 1) + 1 if bad else 0
        shown = keys[where:].split("\x00", 1)[0] if bad else "a key with a NUL byte"
        raise DamagedRecordError(f"entry {shown[:80]!r} is not a datastore path")
    entries = {}
    digests = []
    for key, value in files.items():
        try:
            name = "blake3" if "blake3" in value else "sha256"
            size, digest = value["size"], value[name]
        except (TypeError, KeyError):
            raise DamagedRecordError(f"entry {key[:80]!r} has no size and digest") from None
        if (
            size.__class__ is not int
            or size < 0
            or digest.__class__ is not str
            or len(digest) != 64
        ):
            raise DamagedRecordError(f"entry {key[:80]!r}: its size or digest is not valid")
        digests.append(digest)
        entries[key] = FileEntry(size, digest, name)
    if not _HEX.fullmatch("".join(digests)):
        raise DamagedRecordError("a digest in it is not lowercase hex")
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
