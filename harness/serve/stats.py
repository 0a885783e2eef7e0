"""Request counts and recent requests: one file per worker process, merged on read.

A worker counts in memory (a few microseconds per request) and a background
thread writes ``stats/<pid>.json`` atomically once a second when something
changed, so no request waits on the disk and no two processes write one file.
``read`` sums the files of a service for ``services show``, the list and the
dashboard.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

from harness.storage.workspace import atomic_write_json, read_json_nofollow

#: Recent requests each worker keeps (and ``read`` returns, newest first).
RECENT = 50
FLUSH_S = 1.0


class Counter:
    """This worker's counts; ``record`` is called once per request."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / f"{os.getpid()}.json"
        self.requests = 0
        self.errors = 0
        self.total_ms = 0.0
        self.recent: deque[dict[str, Any]] = deque(maxlen=RECENT)
        self._dirty = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._flusher, name="service-stats", daemon=True)

    def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._thread.start()

    def record(self, method: str, path: str, status: int, seconds: float, size: int) -> None:
        self.requests += 1
        if status >= 400:
            self.errors += 1
        ms = seconds * 1000.0
        self.total_ms += ms
        self.recent.append(
            {"time": time.time(), "method": method, "path": path, "status": status,
             "ms": round(ms, 3), "bytes": size}
        )  # fmt: skip
        self._dirty = True

    def flush(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        atomic_write_json(
            self.path,
            {"pid": os.getpid(), "requests": self.requests, "errors": self.errors,
             "total_ms": round(self.total_ms, 3), "recent": list(self.recent)},
        )  # fmt: skip

    def _flusher(self) -> None:
        while not self._stop.wait(FLUSH_S):
            try:
                self.flush()
            except OSError:
                self._dirty = True  # a full disk must not stop the service; try again

    def stop(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self.flush()


def read(folder: Path) -> dict[str, Any]:
    """The service's requests, errors, mean latency and recent requests (newest first)."""
    requests = errors = 0
    total_ms = 0.0
    recent: list[dict[str, Any]] = []
    try:
        files = sorted(folder.glob("*.json"))
    except OSError:
        files = []
    for path in files:
        try:
            data = read_json_nofollow(path)
            requests += int(data.get("requests", 0))
            errors += int(data.get("errors", 0))
            total_ms += float(data.get("total_ms", 0.0))
            recent.extend(r for r in data.get("recent", []) if isinstance(r, dict))
        except (OSError, ValueError, TypeError, AttributeError):
            continue  # being replaced right now, or damaged: counts are best effort
    recent.sort(key=lambda r: r.get("time", 0), reverse=True)
    return {
        "requests": requests,
        "errors": errors,
        "mean_ms": round(total_ms / requests, 3) if requests else None,
        "recent": recent[:RECENT],
    }
