"""The workspace folder (HARNESS_HOME, else ~/.harness) and how to write into it.

The workspace plays the part of the Azure ML workspace: it holds run history
(runs/), and later registries and datastores, each in its own folder.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from harness import envvars

HOME_ENV = envvars.HOME
DEFAULT_HOME = Path("~/.harness")


def harness_home() -> Path:
    """The workspace folder, created on first use; always absolute."""
    raw = os.environ.get(HOME_ENV) or str(DEFAULT_HOME)
    home = Path(raw).expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    return home


# Atomic writes: every write into the workspace goes through here.


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write to a temporary file in the same folder, then rename over `path`.

    A reader sees the old file or the new one, never half of either, even if the
    writer is killed mid-way.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_json(path: str | os.PathLike[str], obj: Any) -> None:
    atomic_write_bytes(path, json.dumps(obj, indent=2, sort_keys=True, default=str).encode())


def read_json(path: str | os.PathLike[str]) -> Any:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)
