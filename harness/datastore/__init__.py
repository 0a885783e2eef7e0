"""Datastores: named places that hold training data, as in Azure ML v1.

``Datastore.get(name).upload(...)``, ``.download(...)``, ``.list(...)``,
``.path(path, mode="mount"|"download")``; the ``${datastore:...}`` config resolver.
Storage itself is done by datastore plugins (``local``, ``fsspec``).
"""

from harness.datastore.base import Datastore
from harness.datastore.errors import (
    DatastoreError,
    DatastorePathNotFound,
    IntegrityError,
    UnsafePathError,
)

__all__ = [
    "Datastore",
    "DatastoreError",
    "DatastorePathNotFound",
    "IntegrityError",
    "UnsafePathError",
]
