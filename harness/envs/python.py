"""Which Python interpreter an environment is built on.

Only interpreters already on the machine are used: the machine reaches PyPI
only, so uv must never try to download one (``UV_PYTHON_DOWNLOADS=never`` on
every uv call). The harness's own interpreter answers the common case without
starting a process; other versions are looked up with ``uv python list``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from harness.envs.errors import EnvironmentSpecError
from harness.envs.uv import uv_command, uv_environment


@dataclass(frozen=True)
class Interpreter:
    path: str
    version: str  # full, e.g. "3.11.7"

    @property
    def minor(self) -> str:
        return ".".join(self.version.split(".")[:2])


def own_interpreter() -> Interpreter:
    """The base interpreter the harness runs on (not its venv's wrapper)."""
    base = getattr(sys, "_base_executable", None) or sys.executable
    version = ".".join(str(part) for part in sys.version_info[:3])
    return Interpreter(str(Path(base).resolve()), version)


def matches(version: str, request: str) -> bool:
    """``3.11`` matches 3.11.x; ``3.11.7`` only itself."""
    want = request.split(".")
    return version.split(".")[: len(want)] == want


def find_interpreter(request: str | None) -> Interpreter:
    """The interpreter for ``python: REQUEST`` (None: the harness's own).

    REQUEST is a version (``3.11``, ``3.11.7``) or the path of an interpreter.
    Anything not on the machine is one line naming the versions that are.
    """
    own = own_interpreter()
    if request is None or str(request).strip() in ("", "default"):
        return own
    request = str(request).strip()
    if os.sep in request:
        return _probe(request)
    if not _is_version(request):
        raise EnvironmentSpecError(
            f"environment python '{request}' is neither a version (3.11, 3.11.7) "
            "nor the path of an interpreter"
        )
    if matches(own.version, request):
        return own
    found = installed_interpreters()
    for interpreter in found:
        if matches(interpreter.version, request):
            return interpreter
    versions = sorted({i.version for i in [own, *found]}, key=_version_key)
    raise EnvironmentSpecError(
        f"python {request} is not installed on this machine (found: {', '.join(versions)}); "
        "the harness does not download interpreters: install it, or ask for one of these"
    )


def installed_interpreters() -> list[Interpreter]:
    """Interpreters uv finds on this machine (PATH, the usual locations)."""
    try:
        proc = subprocess.run(
            [*uv_command(), "python", "list", "--only-installed", "--output-format", "json"],
            capture_output=True,
            text=True,
            timeout=60,
            env=uv_environment(),
        )
        rows = json.loads(proc.stdout or "[]")
    except (OSError, subprocess.SubprocessError, ValueError):
        return []
    found: dict[str, Interpreter] = {}
    for row in rows:
        path = row.get("path")
        if row.get("implementation") == "cpython" and path and os.access(path, os.X_OK):
            found.setdefault(str(row["version"]), Interpreter(str(path), str(row["version"])))
    return list(found.values())


def _probe(path: str) -> Interpreter:
    exe = Path(path).expanduser()
    if not exe.is_file() or not os.access(exe, os.X_OK):
        raise EnvironmentSpecError(f"environment python '{path}' is not an executable file")
    try:
        out = subprocess.run(
            [str(exe), "-c", "import sys; print('.'.join(map(str, sys.version_info[:3])))"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        raise EnvironmentSpecError(
            f"environment python '{path}' does not run as a Python interpreter"
        ) from None
    return Interpreter(str(exe.resolve()), out)


def _is_version(text: str) -> bool:
    parts = text.split(".")
    return 1 <= len(parts) <= 3 and all(p.isdigit() for p in parts)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split(".") if p.isdigit())
