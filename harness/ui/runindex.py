"""The dashboard's in-memory view of ``runs/``: full records, re-read only on change.

Like ``harness.run.index`` (which ``runs list`` uses), every refresh scans the runs
folder and stats every ``run.json``; only records whose ``(inode, mtime, size)``
changed are read again. Unlike that cache it keeps params too, because the
dashboard searches them, and it lives in the server's memory, so a page of a
10,000-run workspace costs a scan of stats, not 10,000 JSON parses.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from typing import Any

from harness.params import flatten
from harness.run.record import RECORD_FILE, RunRecord
from harness.run.store import RunStore


@dataclass
class Damaged:
    """A run folder whose ``run.json`` cannot be read: listed, never a 500."""

    id: str
    error: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "status": "Damaged", "damaged": True, "error": self.error}


def search_text(record: RunRecord) -> str:
    parts = [record.id, record.experiment, record.estimator, record.status, record.sweep_id or ""]
    parts += [f"{k}={v}" for k, v in record.tags.items()]
    parts += [f"{k}={v}" for k, v in flatten(record.params).items()]
    parts += list(record.overrides)
    return " ".join(map(str, parts)).lower()


def load_record(path: str) -> RunRecord:
    with open(os.path.join(path, RECORD_FILE), encoding="utf-8") as handle:
        data = json.load(handle)
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise ValueError("not a run record")
    record = RunRecord.from_json(data)
    record.path = None  # set below; a Path per run is made only when asked for
    return record


class RunIndex:
    def __init__(self, store: RunStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[tuple[int, int, int], RunRecord, str]] = {}
        self._damaged: dict[str, tuple[tuple[int, int, int] | None, Damaged]] = {}
        self.generation = 0  # bumped whenever anything changed: the live list's signal

    def refresh(self) -> tuple[list[tuple[RunRecord, str]], list[Damaged]]:
        """Every run (newest first) with its search text, and the damaged folders."""
        with self._lock:
            changed = self._scan()
            if changed:
                self.generation += 1
            runs = sorted(self._entries.values(), key=lambda e: e[1].created, reverse=True)
            return [(r, text) for _, r, text in runs], [d for _, d in self._damaged.values()]

    def _scan(self) -> bool:
        root = self.store.root
        seen: set[str] = set()
        changed = False
        if root.is_dir():
            with os.scandir(root) as entries:
                for entry in entries:
                    name = entry.name
                    if name.startswith(".") or not entry.is_dir(follow_symlinks=False):
                        continue
                    seen.add(name)
                    changed |= self._visit(name, entry.path)
        for gone in (set(self._entries) | set(self._damaged)) - seen:
            self._entries.pop(gone, None)
            self._damaged.pop(gone, None)
            changed = True
        return changed

    def _visit(self, name: str, path: str) -> bool:
        try:
            st = os.stat(os.path.join(path, RECORD_FILE))
            key = (st.st_ino, st.st_mtime_ns, st.st_size)
        except OSError as exc:
            key, failure = None, exc
        else:
            hit = self._entries.get(name)
            if hit is not None and hit[0] == key:
                return False
            try:
                record = load_record(path)
                if record.id != name:
                    raise ValueError(f"its run.json names another run ({record.id!r})")
                record.path = self.store.root / name
                self._entries[name] = (key, record, search_text(record))
                self._damaged.pop(name, None)
                return True
            except (OSError, ValueError, TypeError) as exc:
                failure = exc
        old = self._damaged.get(name)
        if old is not None and old[0] == key:
            return False
        self._entries.pop(name, None)
        self._damaged[name] = (key, Damaged(name, f"unreadable run record ({failure})"))
        return True
