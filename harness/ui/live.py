"""What changed in a run since the last look, for the live page (server-sent events).

A follower keeps a byte offset per file and reads only what was appended since:
new metric lines from ``metrics/*.jsonl`` (complete lines only — a torn last line
is left for the next look), new text from ``logs/*.txt`` (one file per rank under
MPI), and the record again only when the stat of ``run.json`` changed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from harness.errors import DamagedRecordError
from harness.run.metrics import parse_event, read_appended
from harness.run.record import RECORD_FILE

#: The first look at a long log sends only its tail.
LOG_TAIL_BYTES = 32_768
#: At most this much new log text per file per look (a chatty job cannot flood a page).
LOG_CHUNK_BYTES = 262_144


def _stat_key(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


class RunFollower:
    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.record_key: tuple[int, int, int] | None = None
        self.metric_offsets: dict[str, int] = {}
        self.log_offsets: dict[str, int] = {}

    def record_changed(self) -> bool:
        key = _stat_key(self.run_dir / RECORD_FILE)
        if key == self.record_key:
            return False
        self.record_key = key
        return True

    def new_metrics(self) -> list[dict[str, Any]]:
        """Metric events appended since the last call, in time order."""
        points: list[dict[str, Any]] = []
        for chunk in read_appended(self.run_dir, self.metric_offsets):
            for line in chunk.splitlines():
                try:
                    event = parse_event(line)
                except DamagedRecordError:
                    continue  # one bad line costs that line (runs show names it)
                points.append(event._asdict())
        points.sort(key=lambda p: p["time"])
        return points

    def new_logs(self) -> dict[str, str]:
        """New text of each ``logs/*.txt`` (the tail on the first look)."""
        folder = self.run_dir / "logs"
        found: dict[str, str] = {}
        try:
            names = sorted(p for p in os.listdir(folder) if p.endswith(".txt"))
        except OSError:
            return found
        for name in names:
            path = folder / name
            try:
                size = os.path.getsize(path)
            except OSError:
                continue
            start = self.log_offsets.get(name)
            if start is None:
                start = max(0, size - LOG_TAIL_BYTES)
            if size < start:  # truncated or replaced: start again
                start = 0
            if size == start:
                self.log_offsets[name] = start
                continue
            with open(path, "rb") as handle:
                handle.seek(start)
                chunk = handle.read(LOG_CHUNK_BYTES)
            self.log_offsets[name] = start + len(chunk)
            found[name] = chunk.decode("utf-8", errors="replace")
        return found
