"""The ``${datastore:...}`` OmegaConf resolver, and the list of what a run used.

Syntax (one argument, then an optional mode)::

    ${datastore:datasets/cifar10}                 default datastore, mount
    ${datastore:datasets/cifar10,download}        copy into the input cache
    ${datastore:mystore:datasets/cifar10,mount}   the datastore named mystore
    ${datastore:}  ${datastore:mystore:}          a whole datastore (v1's ds.as_mount())

It runs in the driver when the config is resolved, before the job starts, so a
missing path is a one-line error (exit 2) and never a traceback from a data
loader. Each resolution is remembered; the driver stores them in the run's
provenance (``take_used``).
"""

from __future__ import annotations

import threading
from typing import Any

RESOLVER = "datastore"
_used: list[dict[str, Any]] = []
_lock = threading.Lock()


def parse(spec: str | None = "", mode: str | None = None) -> tuple[str | None, str, str]:
    """``[NAME:]PATH`` and the mode → (datastore name or None, path, mode).

    An empty path is the whole datastore (Azure ML v1's ``datastore.as_mount()``).
    """
    spec = "" if spec is None else str(spec).strip()
    name: str | None = None
    if ":" in spec:
        name, spec = spec.split(":", 1)
        name = name.strip() or None
    return name, spec.strip(), (str(mode).strip() if mode else "mount")


def resolve(spec: str | None = "", mode: str | None = None) -> str:
    """The resolver function: a datastore path → a local path (string)."""
    from harness.datastore.inputs import resolve as resolve_input
    from harness.datastore.settings import get_datastore

    name, path, mode = parse(spec, mode)
    record = resolve_input(get_datastore(name), path, mode)
    with _lock:
        if record not in _used:
            _used.append(record)
    return str(record["local_path"])


def register() -> None:
    from omegaconf import OmegaConf

    if not OmegaConf.has_resolver(RESOLVER):
        # use_cache: one resolution per config, however often the value is read.
        OmegaConf.register_new_resolver(RESOLVER, resolve, use_cache=True)


def take_used() -> list[dict[str, Any]]:
    """The datastore paths resolved since the last call (and forget them)."""
    with _lock:
        used = list(_used)
        _used.clear()
    return used
