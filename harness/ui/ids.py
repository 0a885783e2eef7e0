"""The one place the dashboard checks names that become paths.

Every id, name or alias that arrives in a URL is matched against a strict pattern
before any path is built from it, and never used as a glob: no ``/``, no leading
dot (so no ``..`` and no hidden files), a bounded length.
"""

from __future__ import annotations

from pathlib import Path

from harness import ids
from harness.errors import ConfigError


class BadId(ConfigError):
    """A name in a URL that cannot be an id."""


#: Each kind is checked by the storage layer's own validator (harness/ids.py), the
#: one the CLI and the Python API use too; anything else gets the generic name rule.
_CHECKS = {
    "run id": ids.check_id_prefix,
    "sweep id": lambda value: ids.check_id_prefix(value, "sweep"),
    "bench id": lambda value: ids.check_id_prefix(value, "bench"),
    "model name": ids.check_model_name,
    "datastore name": ids.check_datastore_name,
}


def check_id(kind: str, value: str) -> str:
    check = _CHECKS.get(kind, lambda text: ids._check_name(text, kind, "name"))
    try:
        return check(value)
    except ids.InvalidIdError:
        raise BadId(f"not a valid {kind}: {value!r}") from None


def inside(root: Path, relative: str) -> Path:
    """``root/relative`` resolved (links followed), refused unless it stays in ``root``."""
    base = root.resolve()
    if relative.startswith("/") or "\\" in relative or "\x00" in relative:
        raise BadId(f"not a relative path: {relative!r}")
    target = (base / relative).resolve()
    if not target.is_relative_to(base):
        raise BadId(f"{relative!r} is outside {base.name}")
    return target
