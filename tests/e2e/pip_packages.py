"""Install plugin packages into this interpreter's environment for a test module.

A real ``pip install`` (isolated build, as a user's), not a sys.path hack. The
source is copied first so the build leaves nothing in the repository, and the
distribution is uninstalled afterwards unless it was there before, so test order
does not matter and a leftover from an aborted session is simply reinstalled.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

from filelock import FileLock

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "harness-example-plugin"
BROKEN = Path(__file__).resolve().parent / "plugin_packages" / "harness-broken-plugins"


def pip(*args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, f"pip {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def is_installed(dist: str) -> bool:
    try:
        metadata.distribution(dist)
    except metadata.PackageNotFoundError:
        return False
    return True


@contextmanager
def installed(sources: dict[str, Path], workdir: Path) -> Iterator[None]:
    """``pip install --no-deps`` each source folder (dist name → folder); undo afterwards."""
    copies = []
    for folder in sources.values():
        copy = workdir / folder.name
        shutil.copytree(
            folder, copy, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__")
        )
        copies.append(str(copy))
    # One environment, possibly several pytest processes (xdist): one pip at a time.
    lock = FileLock(str(Path(sys.prefix) / ".harness-test-pip.lock"))
    before = {dist for dist in sources if is_installed(dist)}
    with lock:
        pip("install", "-q", "--no-deps", "--force-reinstall", *copies)
    try:
        yield
    finally:
        added = [dist for dist in sources if dist not in before]
        if added:
            with lock:
                pip("uninstall", "-q", "-y", *added)
