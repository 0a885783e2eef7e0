"""Datastore errors: all user-facing, so all ``HarnessError`` (one line, exit 2)."""

from __future__ import annotations

from harness.errors import ConfigError, HarnessError, NotFoundError

__all__ = ["DatastoreError", "DatastorePathNotFound", "IntegrityError", "UnsafePathError"]


class DatastoreError(HarnessError):
    """A datastore that cannot be used as asked (unknown name, missing package...)."""


class UnsafePathError(DatastoreError, ConfigError):
    """A path that would leave the datastore root (``..``, absolute, escaping symlink):
    bad input, so also a ``ConfigError`` (HTTP 400 on the dashboard)."""


class DatastorePathNotFound(NotFoundError):
    """A datastore path with nothing stored under it."""


class IntegrityError(DatastoreError):
    """A file whose size or sha256 differs from the manifest."""

    exit_code = 1
