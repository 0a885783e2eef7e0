"""The tensorboard and jsonl loggers pass the plugin contract kit's LoggerContract.

(mlflow is covered by tests/e2e/test_loggers_cli.py, which shares one SQLite store;
the contract's fresh workspace per test would create MLflow's schema each time.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.testing.contracts import Logged, LoggerContract


class TestJsonlLogger(LoggerContract):
    name = "jsonl"

    def check_logged(self, run_dir: Path, logged: Logged) -> None:
        lines = [json.loads(line) for line in (run_dir / "logs" / "metrics.jsonl").open()]
        metrics: dict[str, list] = {}
        for line in lines[:-1]:
            metrics.setdefault(line["name"], []).append(line["value"])
        assert metrics == logged.metrics
        assert lines[-1]["status"] == logged.status


class TestTensorBoardLogger(LoggerContract):
    name = "tensorboard"

    def check_logged(self, run_dir: Path, logged: Logged) -> None:
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

        acc = EventAccumulator(str(run_dir / "logs" / "tensorboard"), size_guidance={"scalars": 0})
        acc.Reload()
        numeric = {
            name: values
            for name, values in logged.metrics.items()
            if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        }
        for name, values in numeric.items():
            got = [event.value for event in acc.Scalars(name)]
            assert got == pytest.approx([float(v) for v in values], rel=1e-6), name
        status = acc.Tensors("harness/status")[0].tensor_proto.string_val[0].decode()
        assert status == logged.status
