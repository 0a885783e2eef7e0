"""Which Python interpreter an environment is built on.

The policy for a requested version (``python: '3.8.12'``, a conda file's
``python=3.6.2``): the requested one when it can be had, else the nearest one
that can, with a one-line note that the run's provenance keeps; a strict
definition (``strict_python: true``) refuses instead.

- *Can be had*: installed here (the harness's own interpreter, what
  ``uv python list`` finds, pyenv's versions folder), or fetched by uv when the
  user allows it (``UV_PYTHON_DOWNLOADS=automatic``; the harness never downloads
  on its own: most machines it targets reach PyPI only) — and able to run the
  harness's worker (harness-ml's ``Requires-Python``, ``>=3.10``).
- *Nearest*: the fewest minor versions away; on a tie or within one minor, the
  harness's own interpreter (no reinstall of its packages), else the newest patch.

The harness's own interpreter answers the common case without starting a process.
"""

from __future__ import annotations

import json
import os
import re
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


@dataclass(frozen=True)
class Choice:
    """The interpreter chosen for a request, and why when it is not the one asked for."""

    interpreter: Interpreter
    #: The one-line note (printed as a warning, kept in provenance); None: as asked.
    note: str | None = None


def find_interpreter(request: str | None, strict: bool = False) -> Interpreter:
    """The interpreter for ``python: REQUEST`` (see ``choose``)."""
    return choose(request, strict).interpreter


def choose(request: str | None, strict: bool = False) -> Choice:
    """The interpreter for ``python: REQUEST`` (None: the harness's own).

    REQUEST is a version (``3.11``, ``3.11.7``) or the path of an interpreter. A
    version that cannot be had gives the nearest one that can, with a note; with
    ``strict`` it is one line naming the versions there are (exit 2).
    """
    own = own_interpreter()
    if request is None or str(request).strip() in ("", "default"):
        return Choice(own)
    request = str(request).strip()
    if os.sep in request:
        found = _probe(request)
        if not supported(found.version):
            raise EnvironmentSpecError(
                f"environment python '{request}' is Python {found.version}; the harness's "
                f"worker needs Python {requires_python()}"
            )
        return Choice(found)
    if not _is_version(request):
        raise EnvironmentSpecError(
            f"environment python '{request}' is neither a version (3.11, 3.11.7) "
            "nor the path of an interpreter"
        )
    if matches(own.version, request):
        return Choice(own)
    candidates = [own, *installed_interpreters()]
    usable = [i for i in candidates if supported(i.version)]
    exact = [i for i in usable if matches(i.version, request)]
    if not exact and supported(_padded(request)):
        exact = [i for i in fetched(request) if matches(i.version, request)]
    if exact:
        return Choice(max(exact, key=lambda i: _version_key(i.version)))
    usable_versions = ", ".join(sorted({i.version for i in usable}, key=_version_key))
    if not supported(_padded(request)):
        why = f"python {request} cannot run the harness's worker (it needs Python {requires_python()})"
    else:
        downloads = os.environ.get("UV_PYTHON_DOWNLOADS", "never").strip().lower() or "never"
        why = f"python {request} is not installed here" + (
            " (and uv may not download it: UV_PYTHON_DOWNLOADS=never)"
            if downloads == "never"
            else " (and uv could not download it)"
        )
    if strict:
        raise EnvironmentSpecError(
            f"{why}; strict_python is set: install it, or ask for one of {usable_versions}"
        )
    chosen = nearest(request, usable, own)
    return Choice(
        chosen,
        f"{why}; using {chosen.version}, the nearest of {usable_versions} "
        "(strict_python: true refuses instead)",
    )


def nearest(request: str, usable: list[Interpreter], own: Interpreter) -> Interpreter:
    """The fewest minor versions from ``request``; the harness's own on a tie or
    within its minor; else the newest patch."""
    want = _version_key(_padded(request))

    def distance(interpreter: Interpreter) -> tuple[int, int, int, tuple[int, ...]]:
        have = _version_key(interpreter.version)
        minors = abs((have[0] - want[0]) * 100 + have[1] - want[1])
        newer = 0 if have[:2] >= want[:2] else 1  # between two equally near, the newer
        return minors, newer, 0 if interpreter == own else 1, tuple(-p for p in have)

    return min(usable, key=distance)


def requires_python() -> str:
    """harness-ml's ``Requires-Python`` (the worker runs inside the environment)."""
    from importlib import metadata

    try:
        return str(metadata.metadata("harness-ml")["Requires-Python"] or ">=3.10")
    except metadata.PackageNotFoundError:  # pragma: no cover - a source tree without metadata
        return ">=3.10"


def supported(version: str) -> bool:
    found = re.fullmatch(r">=\s*(\d+)\.(\d+)", requires_python().strip())
    floor = (int(found.group(1)), int(found.group(2))) if found else (3, 10)
    return _version_key(version)[:2] >= floor


def fetched(request: str) -> list[Interpreter]:
    """``uv python install REQUEST`` when the user allows uv to download Python
    (``UV_PYTHON_DOWNLOADS`` other than ``never``); then what uv finds."""
    allowed = os.environ.get("UV_PYTHON_DOWNLOADS", "never").strip().lower()
    if allowed in ("", "never"):
        return []
    try:
        subprocess.run(
            [*uv_command(), "python", "install", request],
            capture_output=True,
            text=True,
            timeout=600,
            env={**uv_environment(), "UV_PYTHON_DOWNLOADS": allowed},
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return installed_interpreters()


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
    for interpreter in pyenv_interpreters():
        found.setdefault(interpreter.version, interpreter)
    return list(found.values())


def pyenv_interpreters() -> list[Interpreter]:
    """CPython versions installed by pyenv (``$PYENV_ROOT/versions/X.Y.Z``): uv sees
    only the one pyenv's shims select, so the others are looked up in their folder."""
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    found = []
    try:
        entries = sorted(root.iterdir())
    except OSError:
        return []
    for folder in entries:
        if not re.fullmatch(r"\d+\.\d+\.\d+", folder.name):
            continue
        major_minor = ".".join(folder.name.split(".")[:2])
        exe = folder / "bin" / f"python{major_minor}"
        if exe.is_file() and os.access(exe, os.X_OK):
            found.append(Interpreter(str(exe), folder.name))
    return found


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


def _padded(version: str) -> str:
    """``3`` → ``3.0``: a bare major still compares by minor."""
    return version if "." in version else f"{version}.0"
