"""The ``${datastore:...}`` OmegaConf resolver, and the list of what a run used.

Syntax (one argument, then an optional mode)::

    ${datastore:datasets/cifar10}                 default datastore, mount
    ${datastore:datasets/cifar10,download}        copy into the input cache
    ${datastore:mystore:datasets/cifar10,mount}   the datastore named mystore
    ${datastore:}  ${datastore:mystore:}          a whole datastore (v1's ds.as_mount())

It runs in the driver when the config is resolved, before the job starts, so a
missing path is a one-line error (exit 2) and never a traceback from a data
loader. Each resolution is reported to the ``on_resolve`` callback given to
``register`` (the job layer keeps them on its session for the run's provenance).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

RESOLVER = "datastore"


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


def resolve(spec: str | None = "", mode: str | None = None, *extra: Any) -> dict[str, Any]:
    """A datastore path → its input record (``local_path`` is the local path);
    an empty path is the whole datastore."""
    from harness.contract.datastore import get_datastore
    from harness.datastore.errors import DatastoreError
    from harness.datastore.inputs import resolve as resolve_input

    if extra:
        raise DatastoreError(
            "${datastore:...} takes a path and an optional mode (mount or download), "
            "e.g. ${datastore:datasets/cifar10,download}"
        )
    name, path, mode = parse(spec, mode)
    return resolve_input(get_datastore(name), path, mode)


def register(on_resolve: Callable[[dict[str, Any]], None]) -> None:
    """Register ``${datastore:...}`` with OmegaConf (once per process); each
    resolution's record goes to ``on_resolve``."""
    from omegaconf import OmegaConf

    def resolver(spec: str | None = "", mode: str | None = None, *extra: Any) -> str:
        # `${datastore:}` is the whole datastore; more arguments are a one-line error
        record = resolve(spec, mode, *extra)
        on_resolve(record)
        return str(record["local_path"])

    if not OmegaConf.has_resolver(RESOLVER):
        # use_cache: one resolution per config, however often the value is read.
        OmegaConf.register_new_resolver(RESOLVER, resolver, use_cache=True)
