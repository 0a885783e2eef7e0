"""The job spec: everything a worker process needs to rebuild the run context.

The driver writes it as ``job.json`` inside the run folder; every worker (one, or
one per MPI rank) reads it back. It is the only thing that crosses from the driver
to the job, which keeps the data flow one way.
"""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness import records
from harness.errors import DamagedRecordError
from harness.storage.workspace import atomic_write_json, read_json

JOB_FILE = "job.json"
#: Written into the run folder by the job when ``Estimator.validate_in_job`` refuses
#: the config; the driver then discards the run and reports the line (exit 2).
CONFIG_ERROR_FILE = "config_error.txt"
#: Written beside it when the check passed: the run will not be discarded (the
#: driver tells its caller, ``harness.job.events``: ``run_accepted``).
ACCEPTED_FILE = "config_accepted"


@dataclass
class JobSpec:
    run_id: str
    run_dir: str
    experiment: str
    estimator: str
    compute: str
    #: The fully resolved config, as plain JSON.
    params: dict[str, Any]
    #: Active loggers: name → options.
    loggers: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Where the job's processes start (the run folder unless a compute says otherwise).
    workdir: str = ""
    #: Whether ranks other than 0 also record metrics.
    per_rank_metrics: bool = False
    sweep_id: str | None = None
    #: The estimator's traits (``Estimator.data_parallel``,
    #: ``Estimator.trains_in_child_process``), so a compute or worker reads them
    #: here instead of looking the estimator class up again.
    estimator_traits: dict[str, bool] = field(default_factory=dict)
    #: The interpreter every job process runs: a run's environment (harness/envs/),
    #: or empty for the harness's own. Computes start ``worker_python``.
    python: str = ""
    #: Metrics the driver reads while the job runs (a sweep's early-termination
    #: policy): the job writes each report of these to its metrics file at once
    #: instead of with the next timed flush.
    prompt_metrics: list[str] = field(default_factory=list)

    @property
    def worker_python(self) -> str:
        return self.python or sys.executable

    def trait(self, name: str, default: bool = False) -> bool:
        return bool(self.estimator_traits.get(name, default))

    @property
    def spec_path(self) -> Path:
        return Path(self.run_dir) / JOB_FILE

    @property
    def logs_dir(self) -> Path:
        return Path(self.run_dir) / "logs"

    @property
    def outputs_dir(self) -> Path:
        return Path(self.run_dir) / "outputs"

    def absolute_path(self, *keys: str) -> None:
        """Make the path at ``params[keys[0]][keys[1]]…`` absolute, and save.

        Workers start in the run folder, so a relative path in the config must be
        resolved where ``harness train`` ran (the driver's cwd) before they start.
        Estimators call this from ``Estimator.prepare``.
        """
        node = self.params
        for key in keys[:-1]:
            node = node.get(key) or {}
        value = node.get(keys[-1]) if isinstance(node, dict) else None
        if value:
            node[keys[-1]] = str(Path(str(value)).expanduser().resolve())
            self.save()

    def save(self) -> Path:
        atomic_write_json(self.spec_path, records.stamp(JOB_FORMAT, asdict(self)))
        return self.spec_path

    @classmethod
    def load(cls, path: str | Path) -> JobSpec:
        """job.json, migrated and checked (``harness.records``); damage is a one-line
        ``DamagedRecordError`` naming the file."""
        try:
            return cls(**records.read(JOB_FORMAT, read_json(path)))
        except (OSError, ValueError) as exc:
            raise DamagedRecordError(f"damaged job spec {path}: {exc}") from None


#: job.json: format 1 added the version.
JOB_FORMAT = records.Format("job spec", JobSpec, version=1)
