"""The ``csv`` logger: a run's params, metrics and summary as CSV files.

Files go into ``<run folder>/<logger.csv.folder>/`` (default ``csv/``):
``params.csv`` (key, value; nested keys dotted), ``metrics.csv`` (name, step,
value, time; appended batch by batch) and ``summary.csv`` (the status and each
metric's last value, written when the job ends).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from harness.contract import Logger, atomic_write_bytes


def flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(node, dict):
        return {prefix: node}
    flat: dict[str, Any] = {}
    for key, value in node.items():
        flat.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def _csv_bytes(rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


class CsvLogger(Logger):
    def __init__(self, run: Any, options: dict[str, Any]) -> None:
        super().__init__(run, options)
        self.folder = Path(run.run_dir) / str(options.get("folder") or "csv")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.last: dict[str, Any] = {}
        self.metrics_path = self.folder / "metrics.csv"
        if not self.metrics_path.exists():
            atomic_write_bytes(self.metrics_path, _csv_bytes([["name", "step", "value", "time"]]))

    def log_params(self, params: dict[str, Any]) -> None:
        rows = [["key", "value"], *([k, v] for k, v in flatten(params).items())]
        atomic_write_bytes(self.folder / "params.csv", _csv_bytes(rows))

    def log_metrics(self, events: list[Any]) -> None:
        # Loggers run in one process (rank 0): appending is safe, one writer per file.
        rows = [[e.name, e.step, e.value, f"{e.time:.3f}"] for e in events]
        with open(self.metrics_path, "ab") as handle:
            handle.write(_csv_bytes(rows))
        self.last.update((e.name, e.value) for e in events)

    def finish(self, status: str) -> None:
        rows = [["key", "value"], ["status", status], *([k, v] for k, v in self.last.items())]
        atomic_write_bytes(self.folder / "summary.csv", _csv_bytes(rows))
