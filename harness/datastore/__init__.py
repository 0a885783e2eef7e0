"""Datastores: named places that hold training data, as in Azure ML v1.

The machinery under the ``Datastore`` API (``harness.Datastore``, whose base class
is in the plugin contract, ``harness/contract/datastore.py``): the manifest, path
rules, uploads and downloads, the input cache and the workspace's
``datastores.json``. The ``${datastore:...}`` config resolver is the job layer's
(``harness/job/datastore_resolver.py``). Storage itself is done by datastore
plugins (``local``, ``fsspec``).
"""

from harness.datastore.errors import (
    DatastoreError,
    DatastorePathNotFound,
    IntegrityError,
    UnsafePathError,
)

__all__ = [
    "DatastoreError",
    "DatastorePathNotFound",
    "IntegrityError",
    "UnsafePathError",
]
