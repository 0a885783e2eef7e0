"""The run store: ``$HARNESS_HOME/runs/<run id>/`` with ``run.json``, ``metrics/``,
``outputs/`` and ``logs/``.

``run.json`` is only ever replaced atomically, and every read-modify-write of it
holds the run's own lock file, so the driver, the job and ``harness runs tag``
can all touch a run at once without losing an update.
"""

from __future__ import annotations

import builtins
import contextlib
import errno
import os
import secrets
import shutil
import stat
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from harness import inputs, records
from harness.errors import DamagedRecordError, HarnessError, NotFoundError
from harness.ids import check_id_prefix, is_run_id, new_id
from harness.run import metrics
from harness.run.record import (
    FINAL_STATUSES,
    QUEUED,
    RECORD_FILE,
    TRANSITIONS,
    RunRecord,
    RunStatus,
)
from harness.run.resources import split_system
from harness.storage.locks import file_lock
from harness.storage.workspace import atomic_write_json, harness_home, read_json_nofollow

LOCK_FILE = ".lock"
RESERVE_FILE = ".reserve"
RESERVE_BYTES = 64 * 1024  # run.json is a few KB; this covers a large one


def now_iso() -> str:
    return datetime.now().astimezone().isoformat(timespec="milliseconds")


class RunStore:
    def __init__(self, home: Path | None = None) -> None:
        self.root = (home or harness_home()) / "runs"

    # -- creating ----------------------------------------------------------
    def create(self, **fields: Any) -> RunRecord:
        """Make a new run folder (status Queued) and return its record. The
        experiment name and tags are checked first (``harness.inputs``): nothing is
        made for a refused one."""
        fields["experiment"] = inputs.experiment_name(fields.get("experiment"))
        if "tags" in fields:
            fields["tags"] = inputs.tags(fields["tags"])
        self.root.mkdir(parents=True, exist_ok=True)
        while True:
            run_id = new_id()
            run_dir = self.root / run_id
            try:
                run_dir.mkdir()  # exclusive: two processes never get the same id
                break
            except FileExistsError:
                continue
        record = RunRecord(id=run_id, status=QUEUED, created=now_iso(), **fields)
        record.path = run_dir
        try:
            for sub in ("outputs", "logs", metrics.METRICS_DIR):
                (run_dir / sub).mkdir()
            atomic_write_json(run_dir / RECORD_FILE, record.to_json())
            # Space kept back for the final status: when a job fills the disk, the
            # driver frees this and can still record `Failed` (see update()).
            with open(run_dir / RESERVE_FILE, "wb") as handle:
                handle.write(b"\0" * RESERVE_BYTES)
        except OSError as exc:
            shutil.rmtree(run_dir, ignore_errors=True)  # no half-made run is left behind
            if exc.errno == errno.ENOSPC:
                raise NoSpaceError(f"no space left on device ({exc.filename or run_dir})") from None
            raise
        return record

    # -- reading -----------------------------------------------------------
    def resolve_id(self, run_id: str) -> str:
        """An exact id, or a prefix that names exactly one run.

        The text is checked against the run id pattern first (``harness.ids``), so
        ``..``, ``/`` and glob characters never reach a path; a prefix is matched
        with ``startswith`` against the folder names, never globbed.
        """
        check_id_prefix(run_id)
        if is_run_id(run_id) and _is_run_folder(self.root / run_id):
            return run_id
        try:
            names = os.listdir(self.root)
        except FileNotFoundError:
            names = []
        matches = sorted(
            n
            for n in names
            if n.startswith(run_id) and is_run_id(n) and _is_run_folder(self.root / n)
        )
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise NotFoundError(f"no run '{run_id}' in {self.root} (see `harness runs list`)")
        raise NotFoundError(f"'{run_id}' matches {len(matches)} runs; give more of the id")

    def folder(self, run_id: str) -> Path:
        """The folder of the run ``run_id`` names (validated, inside ``runs/``)."""
        return self.root / self.resolve_id(run_id)

    def get(self, run_id: str) -> RunRecord:
        """The record; a damaged ``run.json`` is a one-line ``DamagedRecordError``."""
        return load_record(self.folder(run_id))

    def list(self) -> tuple[list[RunRecord], list[str]]:
        """All readable runs, newest first, and a line for each unreadable one."""
        found: builtins.list[RunRecord] = []
        problems: builtins.list[str] = []
        if not self.root.is_dir():
            return found, problems
        for run_dir in self.root.iterdir():
            if run_dir.name.startswith("."):
                continue
            try:
                found.append(load_record(run_dir))
            except HarnessError as exc:
                problems.append(f"skipped {run_dir.name}: {exc}")
        found.sort(key=lambda r: r.created, reverse=True)
        return found, problems

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

    def files(self, record: RunRecord) -> builtins.list[str]:
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
        """Read, change and atomically rewrite a record under the run's lock.

        A run deleted meanwhile stays deleted: the lock and the rewrite never
        create the folder again (``NotFoundError`` instead).
        """
        run_dir = self.folder(run_id)
        with run_lock(run_dir):
            record = load_record(run_dir)
            mutate(record)
            try:
                _write_record(run_dir, record)
            except FileNotFoundError:
                raise _deleted(run_dir.name) from None
            if record.is_final:
                (run_dir / RESERVE_FILE).unlink(missing_ok=True)
        return record

    def delete(self, run_id: str, *, force: bool = False) -> str:
        """Remove a run and everything it wrote; refuses an active run unless ``force``.

        A damaged record can be deleted (that is how it is cleared). The folder is
        renamed away under the run's lock first, so listings stop showing it at once,
        a racing ``tag`` finds it gone, and a crash leaves only a hidden trash folder.
        """
        run_dir = self.folder(run_id)
        name = run_dir.name
        with run_lock(run_dir):
            try:
                record = load_record(run_dir)
            except DamagedRecordError:
                record = None
            if record is not None and not record.is_final and not force:
                raise HarnessError(
                    f"run {name} is still {record.status}; cancel it first "
                    f"(`harness runs cancel {name}`)"
                )
            trash = self.root / f".deleted-{name}-{secrets.token_hex(4)}"
            try:
                run_dir.rename(trash)
            except FileNotFoundError:
                raise _deleted(name) from None
        shutil.rmtree(trash, ignore_errors=True)  # never follows symlinks
        return name

    def set_status(self, run_id: str, status: str, **fields: Any) -> RunRecord:
        """``system=`` figures are added to those the job logged under ``system/``."""
        measured = fields.pop("system", None) or {}

        records.check_update(RunRecord, fields)  # an unknown field is a caller's bug

        def change(record: RunRecord) -> None:
            if status != record.status and status not in TRANSITIONS[record.status]:
                raise ValueError(f"run {record.id}: cannot go from {record.status} to {status}")
            record.status = RunStatus(status)
            if status in FINAL_STATUSES:
                record.ended = now_iso()
                assert record.path is not None
                record.metrics, record.system = split_system(metrics.last_values(record.path))
                record.system.update(measured)
            for key, value in fields.items():
                setattr(record, key, value)

        return self.update(run_id, change)

    def set_tags(self, run_id: str, tags: dict[str, Any]) -> RunRecord:
        """Add or replace tags; each key and value checked (``harness.inputs``), for
        the CLI, the Python API, the dashboard and a job alike."""
        checked = inputs.tags(tags)
        return self.update(run_id, lambda r: r.tags.update(checked))


class NoSpaceError(HarnessError):
    """The disk is full: not a user's mistake, so exit 1 (the job's failure code)."""

    exit_code = 1


def _write_record(run_dir: Path, record: RunRecord) -> None:
    """Replace run.json; on a full disk, free the run's reserve and try once more.
    The record is checked first: a change that would not read back is refused."""
    try:
        RunRecord.from_json(record.to_json())
    except ValueError as exc:
        raise TypeError(f"run {record.id}: refusing to write an invalid record: {exc}") from None
    try:
        atomic_write_json(run_dir / RECORD_FILE, record.to_json(), make_parents=False)
    except OSError as exc:
        if exc.errno != errno.ENOSPC or not (run_dir / RESERVE_FILE).exists():
            raise
        (run_dir / RESERVE_FILE).unlink()
        atomic_write_json(run_dir / RECORD_FILE, record.to_json(), make_parents=False)


def _is_run_folder(path: Path) -> bool:
    """A real folder (not a symlink that could lead out of the workspace)."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _deleted(run_id: str) -> NotFoundError:
    return NotFoundError(f"run {run_id} was deleted (see `harness runs list`)")


def load_record(run_dir: Path) -> RunRecord:
    """Read ``run_dir/run.json``. It must be a regular file (not a link), valid JSON,
    a record, and name its own folder; otherwise ``DamagedRecordError`` naming it."""
    path = run_dir / RECORD_FILE
    try:
        data = read_json_nofollow(path)
        if not isinstance(data, dict) or "id" not in data:
            raise ValueError("not a run record")
        if data["id"] != run_dir.name:
            raise ValueError(f"its id {str(data['id'])[:40]!r} is not its folder's name")
        return RunRecord.from_json(data, path=run_dir)
    except FileNotFoundError:
        if not run_dir.is_dir():
            raise _deleted(run_dir.name) from None
        problem = "run.json is missing"
    except (OSError, ValueError, TypeError) as exc:
        problem = str(exc) or type(exc).__name__
    raise DamagedRecordError(
        f"damaged run record {path}: {problem}; remove it with "
        f"`harness runs delete {run_dir.name} --yes` or `harness doctor --fix`"
    )


@contextlib.contextmanager
def run_lock(run_dir: Path) -> Iterator[None]:
    """The run's own lock (``runs/<id>/.lock``; ``harness.storage.locks``).

    Takes no folder into being: if the run was deleted, this raises
    ``NotFoundError`` rather than bringing its folder back.
    """
    lock = file_lock(run_dir / LOCK_FILE)
    try:
        lock.__enter__()
    except (FileNotFoundError, NotADirectoryError):
        raise _deleted(run_dir.name) from None
    try:
        yield
    finally:
        lock.__exit__(None, None, None)
