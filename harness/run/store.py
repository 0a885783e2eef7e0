"""The run store: ``$HARNESS_HOME/runs/<run id>/`` with ``run.json``, ``metrics/``,
``outputs/`` and ``logs/``.

``run.json`` is only ever replaced atomically, and every read-modify-write of it
holds the run's own lock file, so the driver, the job and ``harness runs tag``
can all touch a run at once without losing an update.
"""

from __future__ import annotations

import json
import secrets
import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from filelock import FileLock

from harness.errors import NotFoundError
from harness.run import metrics
from harness.run.record import FINAL_STATUSES, QUEUED, RECORD_FILE, TRANSITIONS, RunRecord
from harness.run.resources import split_system
from harness.storage.workspace import atomic_write_json, harness_home

LOCK_FILE = ".lock"


def now_iso() -> str:
    return datetime.now().astimezone().isoformat(timespec="milliseconds")


class RunStore:
    def __init__(self, home: Path | None = None) -> None:
        self.root = (home or harness_home()) / "runs"

    # -- creating ----------------------------------------------------------
    def create(self, **fields: Any) -> RunRecord:
        """Make a new run folder (status Queued) and return its record."""
        self.root.mkdir(parents=True, exist_ok=True)
        while True:
            run_id = f"{datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
            run_dir = self.root / run_id
            try:
                run_dir.mkdir()  # exclusive: two processes never get the same id
                break
            except FileExistsError:
                continue
        for sub in ("outputs", "logs", metrics.METRICS_DIR):
            (run_dir / sub).mkdir()
        record = RunRecord(id=run_id, status=QUEUED, created=now_iso(), **fields)
        record.path = run_dir
        atomic_write_json(run_dir / RECORD_FILE, record.to_json())
        return record

    # -- reading -----------------------------------------------------------
    def resolve_id(self, run_id: str) -> str:
        """An exact id, or a prefix that names exactly one run."""
        if (self.root / run_id / RECORD_FILE).exists():
            return run_id
        matches = sorted(p.name for p in self.root.glob(f"{run_id}*")) if run_id else []
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise NotFoundError(f"no run '{run_id}' in {self.root} (see `harness runs list`)")
        raise NotFoundError(f"'{run_id}' matches {len(matches)} runs; give more of the id")

    def get(self, run_id: str) -> RunRecord:
        run_dir = self.root / self.resolve_id(run_id)
        return RunRecord.from_json(_load(run_dir / RECORD_FILE), path=run_dir)

    def list(self) -> tuple[list[RunRecord], list[str]]:
        """All readable runs, newest first, and a line for each unreadable one."""
        records: list[RunRecord] = []
        problems: list[str] = []
        if not self.root.is_dir():
            return records, problems
        for run_dir in self.root.iterdir():
            if run_dir.name.startswith("."):
                continue
            try:
                records.append(RunRecord.from_json(_load(run_dir / RECORD_FILE), path=run_dir))
            except (OSError, ValueError, TypeError) as exc:
                problems.append(f"skipped {run_dir.name}: unreadable run record ({exc})")
        records.sort(key=lambda r: r.created, reverse=True)
        return records, problems

    def current_metrics(self, record: RunRecord) -> dict[str, Any]:
        """Last value per metric; from the record once final, else from the files."""
        if record.is_final and record.metrics:
            return record.metrics
        assert record.path is not None
        return split_system(metrics.last_values(record.path))[0]

    def current_system(self, record: RunRecord) -> dict[str, Any]:
        """System figures (harness/run/resources.py); a live run has only those
        its job logged under ``system/`` so far."""
        if record.is_final:
            return record.system
        assert record.path is not None
        return split_system(metrics.last_values(record.path))[1]

    def files(self, record: RunRecord) -> list[str]:
        assert record.path is not None
        found = []
        for sub in ("outputs", "logs"):
            base = record.path / sub
            found += sorted(
                p.relative_to(record.path).as_posix() for p in base.rglob("*") if p.is_file()
            )
        return found

    # -- changing ----------------------------------------------------------
    def update(self, run_id: str, mutate: Callable[[RunRecord], None]) -> RunRecord:
        """Read, change and atomically rewrite a record under the run's lock."""
        run_dir = self.root / self.resolve_id(run_id)
        with FileLock(str(run_dir / LOCK_FILE)):
            record = RunRecord.from_json(_load(run_dir / RECORD_FILE), path=run_dir)
            mutate(record)
            atomic_write_json(run_dir / RECORD_FILE, record.to_json())
        return record

    def set_status(self, run_id: str, status: str, **fields: Any) -> RunRecord:
        """``system=`` figures are added to those the job logged under ``system/``."""
        measured = fields.pop("system", None) or {}

        def change(record: RunRecord) -> None:
            if status != record.status and status not in TRANSITIONS[record.status]:
                raise ValueError(f"run {record.id}: cannot go from {record.status} to {status}")
            record.status = status
            if status in FINAL_STATUSES:
                record.ended = now_iso()
                assert record.path is not None
                record.metrics, record.system = split_system(metrics.last_values(record.path))
                record.system.update(measured)
            for key, value in fields.items():
                setattr(record, key, value)

        return self.update(run_id, change)

    def discard(self, run_id: str) -> None:
        """Remove a run and everything it wrote."""
        run_dir = self.root / self.resolve_id(run_id)
        # Rename first: listings skip dot-folders, so the run vanishes at once and a
        # crash mid-way leaves a trash folder rather than half a run.
        trash = run_dir.with_name(f".deleted-{run_dir.name}")
        run_dir.rename(trash)
        shutil.rmtree(trash, ignore_errors=True)

    def set_tags(self, run_id: str, tags: dict[str, Any]) -> RunRecord:
        return self.update(run_id, lambda r: r.tags.update({k: str(v) for k, v in tags.items()}))


def _load(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if not isinstance(data, dict) or "id" not in data:
        raise ValueError("not a run record")
    return data
