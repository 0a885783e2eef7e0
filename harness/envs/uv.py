"""How the harness calls uv: the binary the ``uv`` wheel ships, never a download
of Python, and a cache that shares the workspace's filesystem (hard links)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

CACHE_ENV = "UV_CACHE_DIR"


def uv_command() -> list[str]:
    """The uv binary from the ``uv`` package (a PATH lookup as a fallback)."""
    try:
        from uv import find_uv_bin

        return [find_uv_bin()]
    except (ImportError, FileNotFoundError):
        import shutil

        found = shutil.which("uv")
        if found:
            return [found]
        from harness.envs.errors import EnvironmentSpecError

        raise EnvironmentSpecError(
            "environments need uv: pip install uv (it is a dependency of harness-ml)"
        ) from None


def cache_dir(home: Path) -> Path:
    """UV_CACHE_DIR when the user set one, else ``$HARNESS_HOME/cache/uv``: on the
    same filesystem as the environments, so uv links files instead of copying."""
    configured = os.environ.get(CACHE_ENV)
    return Path(configured).expanduser() if configured else home / "cache" / "uv"


def uv_environment(home: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["UV_PYTHON_DOWNLOADS"] = "never"  # only PyPI is reachable; never fetch Python
    env["UV_NO_PROGRESS"] = "1"
    env["NO_COLOR"] = "1"  # build logs are read in files and notebooks, not terminals
    env.pop("VIRTUAL_ENV", None)  # the target is always given with --python
    if home is not None:
        env[CACHE_ENV] = str(cache_dir(home))
    return env


def python_of(env_dir: Path) -> Path:
    return env_dir / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
