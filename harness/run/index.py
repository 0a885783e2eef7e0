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

from harness import records
from harness.ids import is_run_id
from harness.records import Damaged
from harness.run.record import RECORD_FILE, RUN_FORMAT, RunRecord, RunStatus
from harness.storage.workspace import atomic_write_bytes, read_json_nofollow

INDEX_FILE = ".index.json"
#: 2: summaries are of records checked field by field (harness.records); a cache of
#: another version is dropped (one slow listing), never trusted.
INDEX_VERSION = 2
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
    # The summary holds checked fields only (see summaries): every key is a field.
    record: RunRecord = _LazyPathRecord(**summary)
    record.status = RunStatus(record.status)
    record.path = run_dir  # type: ignore[assignment]  # made a Path on first use
    return record


def summaries(runs_root: Path) -> tuple[list[RunRecord], list[Damaged]]:
    """Every readable run (summary fields only), newest first, and one ``Damaged``
    for each record that cannot be read or does not check."""
    found: list[RunRecord] = []
    problems: list[Damaged] = []
    if not runs_root.is_dir():
        return found, problems
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
                    fields = records.read(RUN_FORMAT, data)
                    if fields["id"] != name:
                        raise ValueError(f"its id {fields['id']!r} is not its folder's name")
                    summary = {k: v for k, v in fields.items() if k not in _LEFT_OUT}
                    changed = True
                found.append(_record(summary, run_dir))
                fresh[name] = [key, summary]
            except (OSError, ValueError, TypeError) as exc:
                problems.append(
                    Damaged(
                        "run",
                        name,
                        os.path.join(run_dir, RECORD_FILE),
                        str(exc) or type(exc).__name__,
                        fix=f"`harness runs delete {name} --yes` or `harness doctor --fix`",
                    )
                )
    if changed or len(fresh) != len(cached):
        try:
            payload = json.dumps({"version": INDEX_VERSION, "runs": fresh}, separators=(",", ":"))
            atomic_write_bytes(index_path, payload.encode())
        except OSError:
            pass  # a read-only workspace lists fine, just without the cache
    found.sort(key=lambda r: r.created, reverse=True)
    return found, problems
