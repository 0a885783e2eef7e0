"""A stat-validated cache of run summaries, so ``harness runs list`` stays fast.

``runs/.index.json`` maps each run id to the ``(inode, mtime_ns, size)`` of its
``run.json`` and the summary fields of the record (everything but params,
overrides and provenance). Every listing still scans the runs folder and stats
every ``run.json`` — the source of truth — and re-reads only those whose stat
changed. Since ``run.json`` is only ever replaced atomically (a new inode), any
update is seen; new and deleted runs are found by the scan. The cache is written
back (atomically, last writer wins) only when something changed; losing it costs
one slow listing, never a wrong one.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from harness.ids import is_run_id
from harness.run.record import RECORD_FILE, RunRecord
from harness.storage.workspace import atomic_write_bytes, read_json_nofollow

INDEX_FILE = ".index.json"
INDEX_VERSION = 1
#: Large fields that a listing never shows; `runs show` reads run.json itself.
_LEFT_OUT = ("params", "overrides", "provenance")


def _load_index(path: Path) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        if data.get("version") == INDEX_VERSION and isinstance(data.get("runs"), dict):
            return data["runs"]
    except (OSError, ValueError, AttributeError):
        pass
    return {}


class _LazyPathRecord(RunRecord):
    """A record whose ``path`` becomes a Path only when used: building 10,000
    Path objects was a fifth of a listing, and most listings use a few."""

    @property
    def path(self) -> Path | None:
        raw = self.__dict__.get("_raw_path")
        if isinstance(raw, str):
            raw = self.__dict__["_raw_path"] = Path(raw)
        return raw

    @path.setter
    def path(self, value: Path | str | None) -> None:
        self.__dict__["_raw_path"] = value


def _record(summary: dict[str, Any], run_dir: str) -> RunRecord:
    record: RunRecord
    try:  # the summary came from RunRecord.to_json: every key is a field
        record = _LazyPathRecord(**summary)
    except TypeError:  # a key from a newer or older harness
        record = _LazyPathRecord.from_json(summary)
    record.path = run_dir  # type: ignore[assignment]  # made a Path on first use
    return record


def summaries(runs_root: Path) -> tuple[list[RunRecord], list[str]]:
    """Every readable run (summary fields only), newest first, and the problems."""
    records: list[RunRecord] = []
    problems: list[str] = []
    if not runs_root.is_dir():
        return records, problems
    index_path = runs_root / INDEX_FILE
    cached = _load_index(index_path)
    fresh: dict[str, Any] = {}
    changed = False
    with os.scandir(runs_root) as entries:
        for entry in entries:
            name = entry.name
            if name.startswith(".") or not entry.is_dir(follow_symlinks=False):
                continue
            run_dir = entry.path
            try:
                if not is_run_id(name):
                    raise ValueError("the folder name is not a run id")
                st = os.lstat(os.path.join(entry.path, RECORD_FILE))
                if not stat.S_ISREG(st.st_mode):
                    raise ValueError("run.json is not a regular file")
                key = [st.st_ino, st.st_mtime_ns, st.st_size]
                hit = cached.get(name)
                if hit is not None and hit[0] == key:
                    summary = hit[1]
                else:
                    data = read_json_nofollow(os.path.join(run_dir, RECORD_FILE))
                    if not isinstance(data, dict) or "id" not in data:
                        raise ValueError("not a run record")
                    if data["id"] != name:
                        raise ValueError(f"its id '{data['id']}' is not its folder's name")
                    summary = {k: v for k, v in data.items() if k not in _LEFT_OUT}
                    changed = True
                records.append(_record(summary, run_dir))
                fresh[name] = [key, summary]
            except (OSError, ValueError, TypeError) as exc:
                problems.append(
                    f"skipped {name}: damaged run record {os.path.join(run_dir, RECORD_FILE)} "
                    f"({exc}); `harness doctor` repairs or removes it"
                )
    if changed or len(fresh) != len(cached):
        try:
            payload = json.dumps({"version": INDEX_VERSION, "runs": fresh}, separators=(",", ":"))
            atomic_write_bytes(index_path, payload.encode())
        except OSError:
            pass  # a read-only workspace lists fine, just without the cache
    records.sort(key=lambda r: r.created, reverse=True)
    return records, problems
