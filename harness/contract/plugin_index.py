"""The installed plugins' entry points, remembered between commands.

Finding them with ``importlib.metadata`` costs every command about 30 ms to import
it (``email``, ``zipfile``, ``csv``) and 25 ms to read the entry points and
metadata of each installed distribution (about 200 in a full environment): a third
of a datastore command's start-up (benchmarks/README.md, start-up). The index keeps
what ``loading`` needs of each ``harness`` entry point (name, value, distribution,
version, requirements) in the user's cache folder, with a fingerprint of what that
search reads: ``sys.path``, each of its folders (its mtime changes when a
distribution is installed or removed), and the ``entry_points.txt`` of each
distribution in them (mtime and size). Any install, uninstall or edit changes the
fingerprint, and the next command searches again and rewrites the index; stevedore
caches entry points the same way.

Each ``sys.path`` (an interpreter with its ``PYTHONPATH``) keeps an index file of
its own, so commands that alternate between two ``PYTHONPATH`` values each read
theirs instead of overwriting the other's; the newest ``KEPT`` files are kept.

``HARNESS_CACHE_DIR`` names the cache folder (default ``$XDG_CACHE_HOME/harness``,
else ``~/.cache/harness``); set to an empty value, nothing is cached. The index is
only ever a shortcut: unreadable, damaged or unwritable, the search runs as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

from harness import envvars

__all__ = ["ENTRY_POINT_GROUP", "cache_folder", "entry_points"]

ENTRY_POINT_GROUP = "harness"
#: Bumped when what the index holds changes shape.
_FORMAT = 1
_DIST_SUFFIXES = (".dist-info", ".egg-info")
#: What ``loading`` reads of each entry point (a stored one lacking any is not used).
_KEYS = {"name", "value", "distribution", "version", "requires"}
#: Index files kept in the cache folder (one per ``sys.path`` seen); writing a new
#: one removes the oldest beyond this.
KEPT = 16


def entry_points() -> list[dict[str, Any]]:
    """Every ``harness`` entry point, in ``importlib.metadata``'s order: dicts with
    ``name``, ``value``, ``distribution``, ``version`` and ``requires``."""
    folder = cache_folder()
    if folder is None:
        return _search()
    index = folder / f"plugins-{_digest(repr((sys.prefix, sys.path)))}.json"
    fingerprint = _fingerprint()
    known = _read(index)
    if known is not None and known.get("fingerprint") == fingerprint:
        return list(known["entry_points"])
    found = _search()
    _write(index, {"format": _FORMAT, "fingerprint": fingerprint, "entry_points": found})
    _prune(folder)
    return found


def cache_folder() -> Path | None:
    """The harness's cache folder, or None when caching is switched off."""
    chosen = os.environ.get(envvars.CACHE_DIR)
    if chosen is not None:
        return Path(chosen).expanduser() if chosen.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "harness"


def _search() -> list[dict[str, Any]]:
    from importlib import metadata

    # Each of name, version and requires parses the distribution's METADATA anew
    # (importlib.metadata does not cache it): read them once per distribution.
    described: dict[int, tuple[Any, str, str, list[str]]] = {}
    found = []
    for point in metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = getattr(point, "dist", None)
        name = version = requires = None
        if dist is not None:
            known = described.get(id(dist))  # the tuple keeps dist, so its id stays its own
            if known is None:
                requirements = list(dist.requires or [])
                known = described[id(dist)] = (dist, dist.name, dist.version, requirements)
            name, version, requires = known[1], known[2], list(known[3])
        found.append(
            {
                "name": point.name,
                "value": str(point.value),
                "distribution": name,
                "version": version,
                "requires": requires,
            }
        )
    return found


def _fingerprint() -> str:
    """What the search would read, summed up: sys.path, its folders and each
    distribution's entry-point file there."""
    digest = hashlib.blake2b(repr((_FORMAT, sys.version, sys.path)).encode(), digest_size=16)
    for entry in sys.path:
        where = entry or "."
        try:
            info = os.stat(where)
        except OSError:
            digest.update(b"\0missing")
            continue
        digest.update(f"\0{info.st_mtime_ns} {info.st_size}".encode())
        if not stat.S_ISDIR(info.st_mode):
            continue  # a zip file: its mtime stands for its contents
        try:
            names = sorted(n for n in os.listdir(where) if n.endswith(_DIST_SUFFIXES))
        except OSError:
            continue
        for name in names:
            try:
                points = os.stat(os.path.join(where, name, "entry_points.txt"))
                digest.update(f"\0{name} {points.st_mtime_ns} {points.st_size}".encode())
            except OSError:
                digest.update(f"\0{name}".encode())
    return digest.hexdigest()


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def _read(index: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(index.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != _FORMAT:
        return None
    points = data.get("entry_points")
    if not isinstance(points, list) or not all(map(_well_formed, points)):
        return None
    return data


def _well_formed(point: Any) -> bool:
    if not isinstance(point, dict) or not point.keys() >= _KEYS:
        return False
    requires = point["requires"]
    return (
        isinstance(point["name"], str)
        and isinstance(point["value"], str)
        and all(isinstance(point[key], (str, type(None))) for key in ("distribution", "version"))
        and (
            requires is None
            or (isinstance(requires, list) and all(isinstance(r, str) for r in requires))
        )
    )


def _prune(folder: Path) -> None:
    """Keep the ``KEPT`` most recently written index files (``python -m harness``
    from many folders, or many ``PYTHONPATH`` values, would otherwise add a file
    each without end)."""
    with contextlib.suppress(OSError):
        written = []
        for entry in os.scandir(folder):
            if entry.name.startswith("plugins-") and entry.name.endswith(".json"):
                with contextlib.suppress(OSError):
                    written.append((entry.stat().st_mtime_ns, entry.path))
        for _, path in sorted(written, reverse=True)[KEPT:]:
            with contextlib.suppress(OSError):
                os.unlink(path)


def _write(index: Path, data: dict[str, Any]) -> None:
    from harness.storage.workspace import atomic_write_bytes

    # A read-only or full cache folder: the next command searches again.
    with contextlib.suppress(OSError):
        atomic_write_bytes(index, json.dumps(data).encode())
