"""Sweep records: ``$HARNESS_HOME/sweeps/<sweep id>/``.

```
sweep.json          the sweep: settings, status; written only by the process that
                    ran ``harness train -m`` (one writer, atomic replace)
runs/<run id>.json  one link per run, written by the job that created the run
unstarted/<n>.json  one per job that never got a run (rejected config, or skipped
                    after fail_fast / max_duration), written by that job
stop.json           present once the sweep must stop (fail_fast, max_duration)
summary.json        the summary table, written when the sweep ends
```

One file per writer and atomic replaces: parallel jobs never share a file. Every
file but stop.json carries a format version and is checked on read
(harness/sweeps/formats.py); a damaged one is a ``Damaged`` row of its listing and
one warning line, and ``harness doctor`` names it.
"""

from __future__ import annotations

import builtins
import contextlib
import os
import socket
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness import envvars, records
from harness.errors import DamagedRecordError, NotFoundError, warn_once
from harness.ids import check_id_prefix, check_sweep_id, is_run_id, new_id
from harness.records import Damaged, Format, RunStatus
from harness.run.store import now_iso
from harness.storage.workspace import atomic_write_json, harness_home, read_json, read_json_nofollow
from harness.sweeps.formats import LINK_FORMAT, SUMMARY_FORMAT, UNSTARTED_FORMAT
from harness.sweeps.slots import NOT_STARTED

#: Carries the sweep id from ``harness train -m`` into its jobs, also into the
#: joblib launcher's worker processes (they inherit the environment).
SWEEP_ENV = envvars.SWEEP_ID

SWEEP_FILE, SUMMARY_FILE, STOP_FILE = "sweep.json", "summary.json", "stop.json"
RUNNING, COMPLETED, FAILED, CANCELED = (
    RunStatus.RUNNING,
    RunStatus.COMPLETED,
    RunStatus.FAILED,
    RunStatus.CANCELED,
)


@dataclass
class SweepRecord:
    id: str
    created: str
    status: RunStatus = RUNNING
    ended: str | None = None
    experiment: str = "default"
    sweeper: str = ""
    launcher: str = ""
    #: Primary metric and goal when known up front (else each run's own).
    metric: str | None = None
    goal: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    #: What the sweep settings set in Hydra's sweeper/launcher config (n_jobs, n_trials, direction).
    applied: dict[str, Any] = field(default_factory=dict)
    command: list[str] = field(default_factory=list)
    hydra_sweep_dir: str | None = None
    #: time.time() when the sweep started; max_duration counts from here.
    started_at: float = 0.0
    #: The ``harness train -m`` process and where it ran: liveness as for runs
    #: (harness/run/liveness.py); ``sweeps resume`` checks that it is gone and starts
    #: again from ``cwd``.
    pid: int | None = None
    pid_start: int | None = None
    host: str | None = None
    cwd: str | None = None
    error: str | None = None
    #: How many times ``harness sweeps resume`` continued this sweep.
    resumed: int = 0
    #: Each swept parameter: its expression (``{"kind": "normal", "mu": 0, "sigma": 1}``,
    #: a choice's values, a range, an interval; harness/sweeps/expressions.py).
    search_space: dict[str, Any] = field(default_factory=dict)


def _sweep_values(data: dict[str, Any]) -> None:
    records.timestamp(data, "created", "ended")
    if data.get("status") == RunStatus.QUEUED:
        raise ValueError("field 'status' is 'Queued', which a sweep never is")


#: sweep.json: format 1 added the version.
SWEEP_FORMAT = records.Format("sweep record", SweepRecord, version=1, values=_sweep_values)


class SweepStore:
    def __init__(self, home: Path | None = None) -> None:
        self.root = (home or harness_home()) / "sweeps"

    def folder(self, sweep_id: str) -> Path:
        """The folder of an exact sweep id (checked: it never leaves ``sweeps/``)."""
        return self.root / check_sweep_id(sweep_id)

    # -- the parent: create, finish ----------------------------------------
    def create(self, **fields: Any) -> SweepRecord:
        self.root.mkdir(parents=True, exist_ok=True)
        while True:
            sweep_id = new_id()
            try:
                (self.root / sweep_id).mkdir()  # exclusive: the id is unique
                break
            except FileExistsError:
                continue
        for sub in ("runs", "unstarted"):
            (self.root / sweep_id / sub).mkdir()
        from harness.run.processes import start_ticks

        fields.setdefault("pid", os.getpid())
        fields.setdefault("pid_start", start_ticks(os.getpid()))
        fields.setdefault("host", socket.gethostname())
        record = SweepRecord(id=sweep_id, created=now_iso(), **fields)
        self.save(record)
        return record

    def save(self, record: SweepRecord) -> None:
        data = asdict(record)
        data["status"] = str(data["status"])
        atomic_write_json(self.folder(record.id) / SWEEP_FILE, records.stamp(SWEEP_FORMAT, data))

    def save_summary(self, sweep_id: str, summary: dict[str, Any]) -> None:
        _write(self.folder(sweep_id) / SUMMARY_FILE, SUMMARY_FORMAT, summary)

    # -- the jobs: link runs, record jobs without runs, stop ----------------
    def link_run(self, sweep_id: str, run_id: str, **fields: Any) -> None:
        path = self.folder(sweep_id) / "runs" / f"{run_id}.json"
        _write(path, LINK_FORMAT, {"run_id": run_id, **fields})

    def unlink_run(self, sweep_id: str, run_id: str) -> None:
        """Forget a run that was discarded (its config was refused in the job)."""
        (self.folder(sweep_id) / "runs" / f"{run_id}.json").unlink(missing_ok=True)

    def record_unstarted(self, sweep_id: str, job_num: int, **fields: Any) -> None:
        path = self.folder(sweep_id) / "unstarted" / f"{job_num}.json"
        _write(path, UNSTARTED_FORMAT, {"job": job_num, **fields})

    def record_not_started(
        self, sweep_id: str, job_num: int, overrides: Sequence[str], reason: str
    ) -> None:
        """A job the sweep stopped before it made a run: Canceled, "not started: …"."""
        self.record_unstarted(
            sweep_id,
            job_num,
            overrides=list(overrides),
            status=CANCELED,
            error=f"{NOT_STARTED}{reason}",
        )

    def request_stop(self, sweep_id: str, reason: str) -> None:
        """Later jobs are skipped and running ones canceled; the first reason stays."""
        path = self.folder(sweep_id) / STOP_FILE
        if not path.exists():
            atomic_write_json(path, {"reason": reason, "time": now_iso()})

    def stop_reason(self, sweep_id: str) -> str | None:
        try:
            return str(read_json(self.folder(sweep_id) / STOP_FILE)["reason"])
        except (OSError, ValueError, KeyError):
            return None

    # -- reading -----------------------------------------------------------
    def resolve_id(self, sweep_id: str) -> str:
        """An exact id or a prefix naming one sweep; never globbed (``harness.ids``)."""
        check_id_prefix(sweep_id, "sweep")
        if is_run_id(sweep_id) and (self.root / sweep_id / SWEEP_FILE).exists():
            return sweep_id
        try:
            names = os.listdir(self.root)
        except FileNotFoundError:
            names = []
        matches = sorted(n for n in names if n.startswith(sweep_id) and is_run_id(n))
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise NotFoundError(f"no sweep '{sweep_id}' in {self.root} (see `harness sweeps list`)")
        raise NotFoundError(f"'{sweep_id}' matches {len(matches)} sweeps; give more of the id")

    def get(self, sweep_id: str) -> SweepRecord:
        """One sweep (an id or a prefix); damaged: a one-line ``DamagedRecordError``."""
        record = _read_record(self.folder(self.resolve_id(sweep_id)) / SWEEP_FILE)
        if isinstance(record, Damaged):
            raise DamagedRecordError(record.line)
        return self._reconcile(record)

    def _reconcile(self, record: SweepRecord) -> SweepRecord:
        """A ``Running`` sweep whose driver is gone (killed) is shown and saved
        ``Failed`` with the reason, as runs are; another host's sweep is left alone."""
        if record.status != RUNNING or record.pid is None or record.host != socket.gethostname():
            return record
        from harness.run import processes

        if processes.alive(record.pid, ticks=record.pid_start):
            return record
        record.status, record.ended = FAILED, now_iso()
        record.error = (
            f"the sweep's driver process (pid {record.pid} on {record.host}) ended without "
            "recording a final status"
        )
        with contextlib.suppress(OSError):  # a read-only workspace still shows the truth
            self.save(record)
        return record

    def scan(self) -> tuple[builtins.list[SweepRecord], builtins.list[Damaged]]:
        """Every readable sweep, newest first, and one ``Damaged`` for each sweep
        whose sweep.json cannot be read or does not check."""
        found: builtins.list[SweepRecord] = []
        damaged: builtins.list[Damaged] = []
        try:
            folders = [f for f in self.root.iterdir() if is_run_id(f.name)]
        except FileNotFoundError:
            folders = []
        for folder in folders:
            if _being_created(folder):
                continue
            record = _read_record(folder / SWEEP_FILE)
            if isinstance(record, Damaged):
                damaged.append(record)
            else:
                found.append(self._reconcile(record))
        found.sort(key=lambda r: r.created, reverse=True)
        return found, sorted(damaged, key=lambda d: d.name, reverse=True)

    def list(self) -> builtins.list[SweepRecord]:
        """Readable sweeps, newest first; each damaged one is said in one warning line."""
        found, damaged = self.scan()
        for problem in damaged:
            warn_once(str(problem))
        return found

    # The files of one sweep: the readable ones, and the damaged ones said once.
    def links(self, sweep_id: str) -> builtins.list[dict[str, Any]]:
        return _said(self.read_links(sweep_id))

    def unstarted(self, sweep_id: str) -> builtins.list[dict[str, Any]]:
        return _said(self.read_unstarted(sweep_id))

    def read_links(
        self, sweep_id: str
    ) -> tuple[builtins.list[dict[str, Any]], builtins.list[Damaged]]:
        """The sweep's run links (checked), and one ``Damaged`` per unreadable file."""
        return _read_all(self.folder(sweep_id) / "runs", LINK_FORMAT, "run_id")

    def read_unstarted(
        self, sweep_id: str
    ) -> tuple[builtins.list[dict[str, Any]], builtins.list[Damaged]]:
        return _read_all(self.folder(sweep_id) / "unstarted", UNSTARTED_FORMAT, "job", "job #")

    def summary(self, sweep_id: str) -> dict[str, Any] | None:
        """The saved summary of a finished sweep (checked); ``None`` before the end,
        and for a damaged one (said in one warning line: the table is built again
        from the runs, ``harness sweeps show`` stays right)."""
        summary, damaged = self.read_summary(self.resolve_id(sweep_id))
        if damaged is not None:
            warn_once(str(damaged))
        return summary

    def read_summary(self, sweep_id: str) -> tuple[dict[str, Any] | None, Damaged | None]:
        path = self.folder(sweep_id) / SUMMARY_FILE
        if not os.path.lexists(path):
            return None, None
        try:
            data = records.read(SUMMARY_FORMAT, read_json_nofollow(path))
            if data["sweep_id"] != sweep_id:
                raise ValueError(f"its sweep_id is not its folder's name ({sweep_id})")
        except (OSError, ValueError, TypeError, RecursionError) as exc:
            return None, Damaged(SUMMARY_FORMAT.kind, sweep_id, str(path), _problem(exc), _FIX)
        return data, None

    def damaged_files(self, sweep_id: str) -> builtins.list[Damaged]:
        """Every file of a readable sweep that does not check (``harness doctor``)."""
        found = [*self.read_links(sweep_id)[1], *self.read_unstarted(sweep_id)[1]]
        summary = self.read_summary(sweep_id)[1]
        return found + ([summary] if summary is not None else [])


_FIX = "`harness doctor --fix` moves it to damaged/"
#: A sweep folder without sweep.json younger than this is being created, not damaged.
CREATING_S = 60.0


def _read_record(path: Path) -> SweepRecord | Damaged:
    try:
        fields = records.read(SWEEP_FORMAT, read_json_nofollow(path))
        fields["status"] = RunStatus(fields.get("status", RUNNING))  # optional: as written
        record = SweepRecord(**fields)
        if record.id != path.parent.name:
            raise ValueError(f"its id '{record.id}' is not its folder's name")
    except (OSError, ValueError, TypeError, RecursionError) as exc:
        return Damaged("sweep", path.parent.name, str(path), _problem(exc), _FIX)
    return record


def _being_created(folder: Path) -> bool:
    """``SweepStore.create`` makes the folder, then writes sweep.json."""
    import time

    try:
        if os.path.lexists(folder / SWEEP_FILE):
            return False
        return time.time() - os.lstat(folder).st_mtime < CREATING_S
    except OSError:
        return True  # gone meanwhile: deleted, or moved aside by doctor


def _problem(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _write(path: Path, fmt: Format, data: dict[str, Any]) -> None:
    """Write a record in ``fmt``, checked first: a writer's bug is an error here,
    never a file its readers would call damaged."""
    stamped = records.stamp(fmt, data)
    records.read(fmt, stamped)
    atomic_write_json(path, stamped)


def _read_all(
    folder: Path, fmt: Format, key: str, label: str = ""
) -> tuple[list[dict[str, Any]], list[Damaged]]:
    """Every ``*.json`` of ``folder`` read in ``fmt``; ``key`` names the field that
    must equal the file's name (a link's run id, a job's number); a damaged file is
    named ``label`` + that name."""
    items: list[dict[str, Any]] = []
    damaged: list[Damaged] = []
    try:
        paths = sorted(p for p in folder.iterdir() if p.suffix == ".json")
    except (FileNotFoundError, NotADirectoryError):
        return items, damaged
    for path in paths:
        try:
            data = records.read(fmt, read_json_nofollow(path))
            if str(data[key]) != path.stem:
                raise ValueError(f"its {key} {str(data[key])[:40]!r} is not its file's name")
        except (OSError, ValueError, TypeError, RecursionError) as exc:
            damaged.append(Damaged(fmt.kind, label + path.stem, str(path), _problem(exc), _FIX))
            continue
        items.append(data)
    return items, damaged


def _said(
    read: tuple[builtins.list[dict[str, Any]], builtins.list[Damaged]],
) -> builtins.list[dict[str, Any]]:
    items, damaged = read
    for problem in damaged:
        warn_once(str(problem))
    return items


def current_sweep_id() -> str | None:
    return os.environ.get(SWEEP_ENV) or None
