"""Does a process id exist? The one question every layer asks of a pid it recorded
(a temporary file's writer, a fork server, a run's driver); who the process is
(its start time, a zombie) is ``harness.run.processes``'s question."""

from __future__ import annotations

import os


def exists(pid: int) -> bool:
    """Whether ``pid`` names a process, ours or someone else's (signal 0 checks
    without sending anything; EPERM means it exists under another user)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
