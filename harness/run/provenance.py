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
    """Commit and dirty flag when ``folder`` is inside a git checkout, else None.

    Two git processes, run side by side (every run of a sweep asks): ``rev-parse``
    names the commit and the root in one call, ``status`` says whether it is dirty."""
    commands = [
        ["rev-parse", "HEAD", "--show-toplevel"],
        ["status", "--porcelain", "--untracked-files=no"],
    ]
    started: list[subprocess.Popen[str]] = []
    try:
        for args in commands:
            started.append(
                subprocess.Popen(
                    ["git", "-C", str(folder), *args],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    text=True,
                )
            )
        outputs = []
        for proc in started:
            out, _ = proc.communicate(timeout=10)
            if proc.returncode != 0:
                return None
            outputs.append(out.strip())
    except (OSError, subprocess.SubprocessError):
        return None
    finally:
        for proc in started:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    head = outputs[0].splitlines()
    if len(head) != 2:
        return None
    return {"commit": head[0], "dirty": bool(outputs[1]), "root": head[1]}


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
