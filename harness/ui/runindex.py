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
import time
from dataclasses import dataclass
from typing import Any

from harness.run.record import FINAL_STATUSES, RECORD_FILE, RunRecord, flatten
from harness.run.store import RunStore


@dataclass
class Damaged:
    """A run folder whose ``run.json`` cannot be read: listed, never a 500."""

    id: str
    error: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "status": "Damaged", "damaged": True, "error": self.error}


def search_text(record: RunRecord, flat: dict[str, Any] | None = None) -> str:
    parts = [record.id, record.experiment, record.estimator, record.status, record.sweep_id or ""]
    parts += [f"{k}={v}" for k, v in record.tags.items()]
    parts += [f"{k}={v}" for k, v in (flatten(record.params) if flat is None else flat).items()]
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
    """Full scans (a stat per run) run on the server's background thread every
    ``scan_interval`` seconds; a request only re-stats the runs that are not final
    yet, the only ones whose record changes often, and scans in full itself only if
    the background scans fell behind. So a page of 10,000 runs is served from memory,
    a new run appears within a scan interval, and a live run's status is never stale.

    The interval is ``FULL_SCAN_S``, stretched to ``SCAN_SHARE``⁻¹ times the last
    scan's duration on huge workspaces: an idle dashboard spends at most a tenth of
    a core on scanning."""

    FULL_SCAN_S = 1.0
    SCAN_SHARE = 0.1

    def __init__(self, store: RunStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[tuple[int, int, int], RunRecord, str]] = {}
        self._damaged: dict[str, tuple[tuple[int, int, int] | None, Damaged]] = {}
        self._scanned_at = float("-inf")
        self._scan_s = 0.0
        self._active: set[str] = set()  # runs not final yet: re-stated on every request
        self._sorted: list[tuple[RunRecord, str]] | None = None
        self._facets: dict[str, list[str]] | None = None
        self._flat: dict[str, dict[str, Any]] = {}  # run id → flattened params
        self.generation = 0  # bumped whenever anything changed: the live list's signal
        # bumped only when a final run comes, changes or goes: what the filter's
        # columns of final runs (harness.ui.runcolumns) are built from
        self.final_generation = 0

    def refresh(self, full: bool = False) -> tuple[list[tuple[RunRecord, str]], list[Damaged]]:
        """Every run (newest first) with its search text, and the damaged folders."""
        if full or time.monotonic() - self._scanned_at > 2 * self.scan_interval + 1:
            started = time.monotonic()
            seen = self._stat_all()  # outside the lock: requests keep being served
            with self._lock:
                changed = self._apply(seen)
                self._scanned_at = time.monotonic()
                self._scan_s = self._scanned_at - started
        else:
            with self._lock:
                changed = False
                for name in list(self._active):
                    changed |= self._visit(name, str(self.store.root / name))
        with self._lock:
            if changed or self._sorted is None:
                if changed:
                    self.generation += 1
                self._sorted = [
                    (r, text)
                    for _, r, text in sorted(
                        self._entries.values(), key=lambda e: e[1].created, reverse=True
                    )
                ]
                self._facets = None
            return self._sorted, [d for _, d in self._damaged.values()]

    @property
    def scan_interval(self) -> float:
        return max(self.FULL_SCAN_S, self._scan_s / self.SCAN_SHARE)

    def params(self, record: RunRecord) -> dict[str, Any]:
        """The run's params, flattened (``estimator.C``), as the filters read them."""
        flat = self._flat.get(record.id)
        return flat if flat is not None else flatten(record.params)

    def final_runs(self) -> tuple[int, list[RunRecord]]:
        """The final runs (in no particular order) and the ``final_generation`` they
        belong to."""
        with self._lock:
            runs = [r for _, r, _ in self._entries.values() if r.status in FINAL_STATUSES]
            return self.final_generation, runs

    def _forget(self, name: str) -> None:
        old = self._entries.pop(name, None)
        if old is not None and old[1].status in FINAL_STATUSES:
            self.final_generation += 1
        self._flat.pop(name, None)
        self._active.discard(name)

    def facets(self) -> dict[str, list[str]]:
        """The values the filter menus offer; recomputed only after a change."""
        with self._lock:
            if self._facets is None:
                records = [r for _, r, _ in self._entries.values()]
                self._facets = {
                    "experiment": sorted({r.experiment for r in records}),
                    "estimator": sorted({r.estimator for r in records}),
                    "status": sorted({r.status for r in records}),
                    "metric": sorted(
                        {k for r in records for k, v in r.metrics.items() if _is_number(v)}
                    ),
                    "param": sorted({k for flat in self._flat.values() for k in flat}),
                    "tag": sorted({k for r in records for k in r.tags}),
                }
            return self._facets

    def _stat_all(self) -> dict[str, tuple[str, tuple[int, int, int] | None]]:
        root = self.store.root
        seen: dict[str, tuple[str, tuple[int, int, int] | None]] = {}
        if not root.is_dir():
            return seen
        with os.scandir(root) as entries:
            for entry in entries:
                name = entry.name
                if name.startswith(".") or not entry.is_dir(follow_symlinks=False):
                    continue
                try:
                    st = os.stat(os.path.join(entry.path, RECORD_FILE))
                    seen[name] = (entry.path, (st.st_ino, st.st_mtime_ns, st.st_size))
                except OSError:
                    seen[name] = (entry.path, None)
        return seen

    def _apply(self, seen: dict[str, tuple[str, tuple[int, int, int] | None]]) -> bool:
        changed = False
        for name, (path, key) in seen.items():
            hit = self._entries.get(name)
            if key is not None and hit is not None and hit[0] == key:
                continue
            changed |= self._visit(name, path)
        for gone in (set(self._entries) | set(self._damaged)) - set(seen):
            self._forget(gone)
            self._damaged.pop(gone, None)
            changed = True
        return changed

    def _visit(self, name: str, path: str) -> bool:
        key: tuple[int, int, int] | None
        failure: BaseException
        try:
            st = os.stat(os.path.join(path, RECORD_FILE))
            key = (st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError as exc:
            if _being_created(path):
                return False  # RunStore.create makes the folder first, run.json after
            key, failure = None, exc
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
                flat = flatten(record.params)
                if record.status in FINAL_STATUSES or (
                    hit is not None and hit[1].status in FINAL_STATUSES
                ):
                    self.final_generation += 1
                self._flat[name] = flat
                self._entries[name] = (key, record, search_text(record, flat))
                self._damaged.pop(name, None)
                if record.status in FINAL_STATUSES:
                    self._active.discard(name)
                else:
                    self._active.add(name)
                return True
            except (OSError, ValueError, TypeError) as exc:
                failure = exc
        old = self._damaged.get(name)
        if old is not None and old[0] == key:
            return False
        self._forget(name)
        self._damaged[name] = (key, Damaged(name, f"unreadable run record ({failure})"))
        return True


#: A run folder younger than this without a run.json is still being created.
CREATING_S = 30.0


def _being_created(path: str) -> bool:
    try:
        return time.time() - os.stat(path).st_mtime < CREATING_S
    except OSError:
        return False


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
