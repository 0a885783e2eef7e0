"""Path safety: datastore keys are normalised relative POSIX paths that never leave
the datastore root, and source trees never follow a symlink out of themselves."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from harness import pids
from harness.datastore.errors import UnsafePathError

#: Folder at the root of every datastore that holds its manifest; never a user key.
META_DIR = ".harness"
#: Infix of the temporary names files are written under before the final rename.
TEMP_MARK = ".harness-tmp-"


def normalize_key(path: str | os.PathLike[str], *, allow_root: bool = False) -> str:
    """``datasets//cifar10/./`` → ``datasets/cifar10``; refuse what could escape.

    Refused: absolute paths, ``..`` segments, backslashes (a Windows ``..\\``),
    the datastore's own metadata folder and temporary names.
    """
    raw = str(path).strip()
    if raw.startswith(("/", "~")) or (len(raw) > 1 and raw[1] == ":"):
        raise UnsafePathError(
            f"datastore path '{raw}' is absolute; give a path relative to the datastore "
            "root, e.g. datasets/cifar10"
        )
    if "\\" in raw or "\x00" in raw:
        raise UnsafePathError(f"datastore path '{raw}' contains a backslash or NUL; use '/'")
    parts = [p for p in PurePosixPath(raw).parts if p not in ("", ".")]
    if ".." in parts:
        raise UnsafePathError(
            f"datastore path '{raw}' contains '..'; paths must stay inside the datastore"
        )
    if parts and parts[0] == META_DIR:
        raise UnsafePathError(f"datastore path '{raw}' is reserved for harness metadata")
    if any(TEMP_MARK in p for p in parts):
        raise UnsafePathError(f"datastore path '{raw}' uses the reserved marker '{TEMP_MARK}'")
    key = "/".join(parts)
    if not key and not allow_root:
        raise UnsafePathError("the datastore path is empty; give one, e.g. datasets/cifar10")
    return key


def join_key(*parts: str) -> str:
    return "/".join(p for p in parts if p)


def is_under(key: str, prefix: str) -> bool:
    """Whether ``key`` is ``prefix`` itself or inside it (``prefix`` '' is the root)."""
    return not prefix or key == prefix or key.startswith(prefix + "/")


def walk_source(src: Path) -> Iterator[tuple[str, Path, int]]:
    """(relative key, path, size) of every file under ``src``, sorted.

    Symlinks are followed only while they point inside ``src``: one that escapes
    is refused with the link's name, so an upload never copies what the user did
    not mean to share (``data/secrets -> ~/.ssh``). ``os.scandir`` keeps this at
    one ``stat`` per file.
    """
    root = src.resolve()
    if not root.is_dir():
        raise UnsafePathError(f"'{src}' is not a folder; upload takes a folder")
    root_str = str(root)
    found: list[tuple[str, Path, int]] = []
    seen: set[str] = {root_str}
    pending = [(root_str, "")]
    while pending:
        folder, rel_dir = pending.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                rel = f"{rel_dir}{entry.name}"
                if entry.is_symlink():
                    real = _check_link(root_str, entry.path)
                    if os.path.isdir(real):
                        if real not in seen:  # a link back to a walked folder: no loops
                            seen.add(real)
                            pending.append((entry.path, rel + "/"))
                        continue
                elif entry.is_dir():
                    seen.add(os.path.realpath(entry.path))
                    pending.append((entry.path, rel + "/"))
                    continue
                if TEMP_MARK in entry.name or not entry.is_file():
                    continue  # our own leftovers, sockets and FIFOs are not data
                found.append((rel, Path(entry.path), entry.stat().st_size))
    found.sort()
    return iter(found)


def _check_link(root: str, path: str) -> str:
    target = os.path.realpath(path)
    if target != root and not target.startswith(root + os.sep):
        raise UnsafePathError(
            f"'{path}' is a symlink to '{target}', outside the folder being uploaded; "
            "copy the data in or remove the link"
        )
    return target


def remove_dead_temps(folder: Path, recursive: bool = True) -> int:
    """Delete ``*.harness-tmp-PID-*`` files in ``folder`` whose writing process is
    gone (a killed transfer's leftovers; a live writer's are kept). Nothing else is
    touched: only names with the harness's own temporary marker."""
    import contextlib

    removed = 0
    if not folder.is_dir():
        return 0
    walked = os.walk(folder) if recursive else [(str(folder), [], os.listdir(folder))]
    for dirpath, _, filenames in walked:
        for name in filenames:
            if TEMP_MARK not in name:
                continue
            pid_text = name.split(TEMP_MARK, 1)[1].split("-", 1)[0]
            if pid_text.isdigit() and pids.exists(int(pid_text)):
                continue
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(dirpath, name))
                removed += 1
    return removed
