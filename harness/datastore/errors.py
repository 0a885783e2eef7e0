"""Datastore errors: all user-facing, so all ``HarnessError`` (one line, exit 2)."""

from __future__ import annotations

from harness.errors import HarnessError, NotFoundError

__all__ = ["DatastoreError", "DatastorePathNotFound", "IntegrityError", "UnsafePathError"]


class DatastoreError(HarnessError):
    """A datastore that cannot be used as asked (unknown name, missing package...)."""


class UnsafePathError(DatastoreError):
    """A path that would leave the datastore root (``..``, absolute, escaping symlink)."""


class DatastorePathNotFound(NotFoundError):
    """A datastore path with nothing stored under it."""


class IntegrityError(DatastoreError):
    """A file whose size or sha256 differs from the manifest."""

    exit_code = 1
