"""The exception that failed a job, as a structured record the driver reads.

A failed run's error used to be the last line of its stderr, which is often not
the exception: NumPy's ``np.float`` error ends with the URL of a release note, a
library may log after the traceback. So the job process writes the exception it
died of to ``<run>/error.json`` (``{"type", "message", "line"}``), and the driver
shows its ``line`` (``AttributeError: module 'numpy' has no attribute 'float'.``).

Writers: the harness worker (an estimator's exception) and, for script mode, the
script's own interpreter through ``harness/compat/script_site/sitecustomize.py``
(which writes the same format without importing the harness). The first failing
process of a run wins (exclusive create), so under MPI it is the first rank's.

A plugin's bug (``harness.errors.ComponentFailure``) is shown as one line naming
the plugin; its traceback, which the terminal is spared, is appended to
``logs/plugin_error.txt`` by the process that met it (``keep_traceback``).
"""

from __future__ import annotations

import contextlib
import json
import os
import traceback
from pathlib import Path
from typing import Any

ERROR_FILE = "error.json"
#: The tracebacks of plugin failures, beside the job's own logs.
TRACEBACK_FILE = "plugin_error.txt"
#: Longest message kept (one line; the full traceback stays in logs/).
MAX_CHARS = 500


def describe(exc: BaseException) -> dict[str, Any]:
    """``type``, the first line of ``message``, and ``line``: ``Type: message``."""
    text = str(exc).strip()
    first = text.splitlines()[0].strip() if text else ""
    name = type(exc).__name__
    return {
        "type": name,
        "message": first,
        "line": f"{name}: {first}"[:MAX_CHARS] if first else name,
    }


def write(run_dir: str | os.PathLike[str], exc: BaseException) -> None:
    """Record ``exc`` unless another process of the run recorded one first."""
    data = json.dumps(describe(exc)).encode()
    path = Path(run_dir) / ERROR_FILE
    with contextlib.suppress(OSError):  # a read-only or full disk: stderr still has it
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)


def read(run_dir: str | os.PathLike[str]) -> str | None:
    """The recorded exception's line, or None."""
    try:
        data = json.loads((Path(run_dir) / ERROR_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    line = data.get("line") if isinstance(data, dict) else None
    return str(line)[:MAX_CHARS] if line else None


def keep_traceback(logs_dir: str | os.PathLike[str], line: str, exc: BaseException) -> None:
    """Append ``line`` and the whole traceback of ``exc`` to ``logs/plugin_error.txt``
    (one write, so processes of one run that fail together do not interleave)."""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    data = f"harness: error: {line}\n{text}\n".encode(errors="replace")
    with contextlib.suppress(OSError):  # a full disk: the line is still in run.json
        fd = os.open(
            Path(logs_dir) / TRACEBACK_FILE,
            os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW,
            0o644,
        )
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
