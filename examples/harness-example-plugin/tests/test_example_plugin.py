"""The example plugin's own tests: the harness contract for each of its components."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from harness.testing import run_cli
from harness.testing.contracts import (
    ComputeContract,
    EstimatorContract,
    Logged,
    LoggerContract,
    show_run,
)


class TestHistGradientBoosting(EstimatorContract):
    name = "hgb"
    overrides = ("estimator.max_iter=5", "estimator.data=iris")  # small and quick
    invalid_overrides = (
        "estimator.learning_rate=0",
        "estimator.data=mnist",
        "estimator.max_iter=abc",  # a type error, caught by the typed options
        "+estimator.max_iter_typo=3",  # an unknown key
    )


class TestNiceCompute(ComputeContract):
    name = "nice"
    invalid_overrides = ("compute.niceness=42", "compute.niceness=-1")

    def test_the_job_runs_at_the_configured_niceness(self, tmp_path: Path) -> None:
        result = self.train(tmp_path, "compute.niceness=7")
        assert result.returncode == 0, result.output
        run = show_run(result.run_id, tmp_path, self.cli_env())
        # The probe estimator logs os.nice(0) from inside the job.
        assert run["metrics"]["niceness"] == min(19, os.nice(0) + 7)


class TestCsvLogger(LoggerContract):
    name = "csv"

    def check_logged(self, run_dir: Path, logged: Logged) -> None:
        folder = run_dir / "csv"
        with open(folder / "params.csv") as handle:
            params = dict(csv.reader(handle))
        assert params["estimator.name"] == logged.params["estimator"]["name"]
        with open(folder / "metrics.csv") as handle:
            rows = list(csv.DictReader(handle))
        for name, values in logged.metrics.items():
            assert [float(r["value"]) for r in rows if r["name"] == name] == values
        with open(folder / "summary.csv") as handle:
            summary = dict(csv.reader(handle))
        assert summary["status"] == logged.status

    def test_folder_option(self, tmp_path: Path) -> None:
        result = self.train(tmp_path, "logger.csv.folder=tables")
        assert result.returncode == 0, result.output
        run_dir = Path(show_run(result.run_id, tmp_path, self.cli_env())["path"])
        assert (run_dir / "tables" / "summary.csv").is_file()


def test_plugin_lists_its_components_and_config_groups(tmp_path: Path) -> None:
    result = run_cli("plugins", "show", "example", "--format", "json", home=tmp_path)
    assert result.returncode == 0, result.output
    info = result.json()
    assert info["distribution"] == "harness-example-plugin"
    assert info["components"] == {"estimator": ["hgb"], "compute": ["nice"], "logger": ["csv"]}
    assert info["config_groups"] == {"compute": ["nice"], "estimator": ["hgb"], "logger": ["csv"]}
