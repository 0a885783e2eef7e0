"""Move a run folder between the driver and a Ray node as tar bytes.

Ray clusters often share no file system, so the run folder travels through
Ray's object store: the driver's folder (job.json, the script snapshot) to the
node at the start, outputs/, logs/ and metrics/ back at the end.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterable
from pathlib import Path


def pack(folder: Path, names: Iterable[str] | None = None) -> bytes:
    """Tar ``folder``'s entries (all, or only ``names`` among them that exist)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        entries = sorted(p.name for p in folder.iterdir()) if names is None else list(names)
        for name in entries:
            if (folder / name).exists():
                tar.add(folder / name, arcname=name)
    return buffer.getvalue()


def unpack(data: bytes, folder: Path) -> None:
    """Extract into ``folder``; the "data" filter refuses links and paths that leave it."""
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r") as tar:
        tar.extractall(folder, filter="data")
