"""The ``jsonl`` logger: one JSON object per metric event, for tools that tail files.

Lines are ``{"name", "value", "step", "time"}``, appended a batch at a time
(whole lines in one write, so a reader never sees half a line). When the job
ends, a last line ``{"status": "Completed", "time": ...}`` says so.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from harness.contract.components import Logger
from harness.contract.records import append_events


class JsonlLogger(Logger):
    def __init__(self, run: Any, options: dict[str, Any]) -> None:
        super().__init__(run, options)
        self.path = Path(run.run_dir) / str(options.get("path") or "logs/metrics.jsonl")

    def log_metrics(self, events: list[Any]) -> None:
        append_events(self.path, events)

    def finish(self, status: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"status": status, "time": time.time()}) + "\n")
