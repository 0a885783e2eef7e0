"""The one place the dashboard checks names that become paths.

Every id, name or alias that arrives in a URL is matched against a strict pattern
before any path is built from it, and never used as a glob: no ``/``, no leading
dot (so no ``..`` and no hidden files), a bounded length.
"""

from __future__ import annotations

import re
from pathlib import Path

from harness.errors import ConfigError

#: Run, sweep and bench ids (YYYYMMDD-HHMMSS-hex), model names, datastore names.
_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


class BadId(ConfigError):
    """A name in a URL that cannot be an id."""


def check_id(kind: str, value: str) -> str:
    if not _SAFE.match(value) or ".." in value:
        raise BadId(f"not a valid {kind}: {value!r}")
    return value


def inside(root: Path, relative: str) -> Path:
    """``root/relative`` resolved (links followed), refused unless it stays in ``root``."""
    base = root.resolve()
    if relative.startswith("/") or "\\" in relative or "\x00" in relative:
        raise BadId(f"not a relative path: {relative!r}")
    target = (base / relative).resolve()
    if not target.is_relative_to(base):
        raise BadId(f"{relative!r} is outside {base.name}")
    return target
