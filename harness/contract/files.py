"""Writing into the workspace as the core does: atomically, and where it lives.

Every write to the workspace is atomic (a temporary file in the same folder, then
``os.replace``), so a reader never sees half a file and a crash leaves the old
one. A plugin that writes into a run folder or a datastore uses the same calls.
"""

from __future__ import annotations

from harness.storage.workspace import (
    atomic_write_bytes,
    atomic_write_json,
    harness_home,
    read_json,
)

__all__ = ["atomic_write_bytes", "atomic_write_json", "harness_home", "read_json"]
