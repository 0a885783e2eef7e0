"""The run record: one ``run.json`` per run, and the status lifecycle."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

QUEUED, RUNNING, COMPLETED, FAILED, CANCELED = (
    "Queued",
    "Running",
    "Completed",
    "Failed",
    "Canceled",
)
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


@dataclass
class RunRecord:
    """Everything the workspace knows about a run, as stored in ``run.json``."""

    id: str
    experiment: str
    status: str
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
    def from_json(cls, data: dict[str, Any], path: Path | None = None) -> RunRecord:
        known = {f for f in cls.__dataclass_fields__ if f != "path"}
        record = cls(**{k: v for k, v in data.items() if k in known})
        record.path = path
        return record

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("path")
        return data

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
