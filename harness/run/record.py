"""The run record: one ``run.json`` per run, and the status lifecycle."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness import records
from harness.ids import ID_PATTERN
from harness.records import RunStatus

QUEUED, RUNNING, COMPLETED, FAILED, CANCELED = (
    RunStatus.QUEUED,
    RunStatus.RUNNING,
    RunStatus.COMPLETED,
    RunStatus.FAILED,
    RunStatus.CANCELED,
)
STATUSES = tuple(RunStatus)
FINAL_STATUSES = frozenset({COMPLETED, FAILED, CANCELED})
#: Allowed status changes; anything else is a bug in the caller.
TRANSITIONS: dict[str, frozenset[str]] = {
    QUEUED: frozenset({RUNNING, FAILED, CANCELED}),
    RUNNING: frozenset({COMPLETED, FAILED, CANCELED}),
    COMPLETED: frozenset(),
    FAILED: frozenset(),
    CANCELED: frozenset(),
}

RECORD_FILE = "run.json"
#: Written into the run folder by the supervisor before it interrupts a job for a
#: reason other than a cancel (a timeout: "Failed"), so the job's Run.close tells
#: the loggers the run's own final status.
STOP_NOTE = ".stop-status"


def read_stop_note(run_dir: Path) -> str | None:
    try:
        return (run_dir / STOP_NOTE).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


@dataclass(slots=True)
class RunRecord:
    """Everything the workspace knows about a run, as stored in ``run.json``.

    Slotted: the dashboard walks 100,000 of these per page, and attributes kept in
    the object itself (no per-record ``__dict__``) halve the walk."""

    id: str
    experiment: str
    status: RunStatus
    created: str
    estimator: str
    compute: str
    params: dict[str, Any] = field(default_factory=dict)
    overrides: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    started: str | None = None
    ended: str | None = None
    error: str | None = None
    pid: int | None = None
    #: the driver's start time in clock ticks since boot (proof of ownership, see
    #: harness/run/ownership.py)
    pid_start: int | None = None
    host: str | None = None
    world_size: int = 1
    sweep_id: str | None = None
    #: name → last value; filled when the run ends (live runs are read from metrics/).
    metrics: dict[str, Any] = field(default_factory=dict)
    #: What the harness measured about the job (harness/run/resources.py):
    #: peak_rss_mb, peak_rss_tree_mb, cpu_time_s, gpu_peak_mb; filled when it ends.
    system: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    #: Set by the store on load; not saved.
    path: Path | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Any, path: Path | None = None) -> RunRecord:
        """A record from run.json's JSON, migrated and checked field by field
        (``harness.records``); ``ValueError`` names what is wrong."""
        fields = records.read(RUN_FORMAT, data)
        fields["status"] = RunStatus(fields["status"])
        record = cls(**fields)
        record.path = path
        return record

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("path")
        data["status"] = str(data["status"])
        return records.stamp(RUN_FORMAT, data)

    @property
    def outputs_dir(self) -> Path:
        assert self.path is not None
        return self.path / "outputs"

    @property
    def logs_dir(self) -> Path:
        assert self.path is not None
        return self.path / "logs"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


def _run_values(data: dict[str, Any]) -> None:
    if not ID_PATTERN.fullmatch(data["id"]):
        raise ValueError(f"field 'id' is {data['id'][:40]!r}, not a run id")
    records.timestamp(data, "created", "started", "ended")
    for name in ("world_size", "pid"):
        if data.get(name) is not None and data[name] < (1 if name == "world_size" else 0):
            raise ValueError(f"field '{name}' is {data[name]}, out of range")


#: run.json: format 1 added the version (format 0 records read as they are).
RUN_FORMAT = records.Format(
    "run record", RunRecord, version=1, unsaved=frozenset({"path"}), values=_run_values
)


# Nested config -> flat dotted keys: the form MLflow params, TensorBoard's hparams
# text and ``harness runs compare`` tables want.
def flatten(params: Any, prefix: str = "") -> dict[str, Any]:
    """``{"estimator": {"C": 0.5}}`` → ``{"estimator.C": 0.5}``; empty dicts stay leaves."""
    if not isinstance(params, dict):
        return {prefix: params}
    flat: dict[str, Any] = {}
    for key, value in params.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and value:
            flat.update(flatten(value, name))
        else:
            flat[name] = value
    return flat
