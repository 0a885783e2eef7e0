"""Provenance: what produced a run (versions, source revision, host, command)."""

from __future__ import annotations

import getpass
import platform
import socket
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

CORE_PACKAGES = ("harness-ml", "hydra-core", "omegaconf", "pluggy", "numpy")


def package_versions(names: tuple[str, ...]) -> dict[str, str]:
    versions = {}
    for name in dict.fromkeys(names):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def git_state(folder: Path) -> dict[str, Any] | None:
    """Commit and dirty flag when ``folder`` is inside a git checkout, else None."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(folder), *args],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
        root = git("rev-parse", "--show-toplevel")
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "dirty": dirty, "root": root}


def collect(source_dir: Path, packages: tuple[str, ...], argv: list[str]) -> dict[str, Any]:
    return {
        "python": sys.version.split()[0],
        "executable": sys.executable,
        "platform": platform.platform(),
        "host": socket.gethostname(),
        "user": _user(),
        "command": argv,
        "cwd": str(Path.cwd()),
        "source_dir": str(source_dir),
        "git": git_state(source_dir),
        "packages": package_versions(CORE_PACKAGES + packages),
    }


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
