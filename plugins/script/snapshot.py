"""The source snapshot: what of ``source_directory`` is copied into the run.

Ignore rules are gitignore patterns (matched by ``pathspec``, the library pip and
black use): in every folder, a ``.harnessignore`` if there is one, otherwise its
``.gitignore`` (Azure ML read ``.amlignore`` before ``.gitignore`` the same way).
A pattern applies to the folder it sits in and below. Ignored folders are not
even walked, so a virtual environment or a data folder costs nothing.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import ConfigError

IGNORE_FILES = (".harnessignore", ".gitignore")
#: Never copied: version-control data and bytecode caches.
ALWAYS_IGNORED = (".git/", ".hg/", ".svn/", "__pycache__/")
#: Top-level names that become links to the run's own folders in the snapshot.
RUN_FOLDERS = ("outputs", "logs")
SNAPSHOT_DIR = "snapshot"


@dataclass
class Snapshot:
    root: Path
    #: Relative POSIX paths of the regular files to copy.
    files: list[str] = field(default_factory=list)
    #: Relative paths of symlinks (files or folders): copied as links, not followed.
    links: list[str] = field(default_factory=list)
    size: int = 0
    #: Bytes per top-level entry, for the "too large" message.
    by_entry: dict[str, int] = field(default_factory=dict)


def _pathspec() -> Any:
    try:
        import pathspec
    except ImportError:  # declared in pyproject; only an incomplete install lacks it
        raise ConfigError(
            "script mode needs the 'pathspec' package: pip install pathspec"
        ) from None
    return pathspec


def _spec(folder: Path) -> Any:
    """The compiled ignore rules of one folder, or None when it has none."""
    pathspec = _pathspec()
    for name in IGNORE_FILES:
        path = folder / name
        if path.is_file():
            return pathspec.GitIgnoreSpec.from_lines(path.read_text(errors="replace").splitlines())
    return None


def collect(root: Path, exclude: tuple[Path, ...] = ()) -> Snapshot:
    """Walk ``root`` and list what the snapshot holds (nothing is copied).

    ``exclude``: absolute folders never copied, such as the harness workspace when
    it lies inside the source folder (runs would otherwise snapshot earlier runs).
    """
    pathspec = _pathspec()
    excluded = {path.resolve() for path in exclude}

    snapshot = Snapshot(root)
    always = pathspec.GitIgnoreSpec.from_lines(ALWAYS_IGNORED)
    # Rules in force per folder: its parent's plus its own. os.walk is top-down,
    # so a parent's entry exists before its children are visited.
    rules_of: dict[Path, list[tuple[Path, Any]]] = {}
    for current, dirnames, filenames in os.walk(root):
        here = Path(current)
        own = _spec(here)
        rules = rules_of.get(here.parent, []) if here != root else []
        rules = [*rules, (here, own)] if own is not None else rules
        rules_of[here] = rules
        rel_here = here.relative_to(root)

        kept_dirs = []
        for name in sorted(dirnames):
            if (here / name).resolve() in excluded or _ignored(
                root, here, name, True, rules, always
            ):
                continue
            if (here / name).is_symlink():
                snapshot.links.append((rel_here / name).as_posix())
            else:
                kept_dirs.append(name)
        dirnames[:] = kept_dirs
        for name in sorted(filenames):
            if _ignored(root, here, name, False, rules, always):
                continue
            path, rel = here / name, (rel_here / name).as_posix()
            if path.is_symlink():
                snapshot.links.append(rel)
                continue
            size = path.stat().st_size
            snapshot.files.append(rel)
            snapshot.size += size
            top = rel.split("/", 1)[0]
            snapshot.by_entry[top] = snapshot.by_entry.get(top, 0) + size
    return snapshot


def _ignored(
    root: Path, here: Path, name: str, is_dir: bool, rules: list[tuple[Path, Any]], always: Any
) -> bool:
    """Whether ``here/name`` is left out: by the fixed list or a folder's rules above it."""
    if here == root and name in RUN_FOLDERS:
        return True  # replaced by links to the run's outputs/ and logs/
    suffix = "/" if is_dir else ""
    if always.match_file((here / name).relative_to(root).as_posix() + suffix):
        return True
    return any(
        spec.match_file((here / name).relative_to(folder).as_posix() + suffix)
        for folder, spec in rules
    )


def check_size(snapshot: Snapshot, max_mb: float) -> None:
    limit = max_mb * 1024 * 1024
    if snapshot.size <= limit:
        return
    biggest = sorted(snapshot.by_entry.items(), key=lambda item: -item[1])[:3]
    listing = ", ".join(f"{name} ({size / 2**20:.1f} MB)" for name, size in biggest)
    raise ConfigError(
        f"the snapshot of {snapshot.root} would be {snapshot.size / 2**20:.1f} MB, over "
        f"estimator.snapshot_max_mb={max_mb:g} (largest: {listing}); leave data out with a "
        f".harnessignore file or raise the limit"
    )


def copy(snapshot: Snapshot, target: Path) -> None:
    """Copy the listed files into ``target`` (a fresh folder inside the run)."""
    target.mkdir(parents=True, exist_ok=False)
    for rel in snapshot.files:
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(snapshot.root / rel, dest)
    for rel in snapshot.links:
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        link = os.readlink(snapshot.root / rel)
        if not os.path.isabs(link):
            # A relative link may point outside the copied tree: keep where it led.
            resolved = (snapshot.root / rel).parent / link
            link = str(resolved.resolve()) if not inside(resolved, snapshot.root) else link
        os.symlink(link, dest)


def inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def link_run_folders(target: Path, run_dir: Path) -> None:
    """``./outputs`` and ``./logs`` in the snapshot are the run's own folders."""
    for name in RUN_FOLDERS:
        (run_dir / name).mkdir(parents=True, exist_ok=True)
        os.symlink(os.path.join("..", name), target / name, target_is_directory=True)
