"""The built-in plugins pass the same contract tests that plugin authors use."""

from __future__ import annotations

from pathlib import Path

from harness.testing.contracts import (
    ComputeContract,
    EstimatorContract,
    Logged,
    LoggerContract,
)
from harness.testing.datastore_contract import DatastoreContract


class TestSklearnEstimator(EstimatorContract):
    name = "sklearn"
    overrides = ("estimator.data.format=iris",)
    invalid_overrides = ("estimator.C=-1", "+estimator.no_such_param=1")


class TestScriptEstimator(EstimatorContract):
    name = "script"
    overrides = (
        f"estimator.source_directory={Path(__file__).parent / 'script_src'}",
        "estimator.entry_script=train.py",
        "+estimator.script_params.score=0.5",
    )
    invalid_overrides = ("estimator.entry_script=missing.py",)


class TestChainerEstimator(EstimatorContract):
    name = "chainer"
    overrides = ("epochs=1", "batch_size=64")
    invalid_overrides = ("epochs=0",)


class TestProbeEstimator(EstimatorContract):
    """The contract kit's own test estimator keeps its promises too."""

    name = "probe"
    env = {"HARNESS_PLUGINS": "harness.testing.probe"}
    invalid_overrides = ("estimator.exit_code=999",)


class TestLocalCompute(ComputeContract):
    name = "local"
    invalid_overrides = ("compute.timeout=-5",)


class TestConsoleLogger(LoggerContract):
    name = "console"

    def check_logged(self, run_dir: Path, logged: Logged) -> None:
        # The console logger writes to the job's stdout, which the compute keeps.
        stdout = (run_dir / "logs" / "stdout.txt").read_text()
        last = logged.metrics["probe_score"][-1]
        assert f"probe_score={last:.4g}" in stdout, stdout


class TestLocalDatastore(DatastoreContract):
    type_name = "local"

    def make_url(self, tmp_path: Path) -> str:
        return str(tmp_path / "store")


class TestFsspecFileDatastore(DatastoreContract):
    type_name = "fsspec"


class TestFsspecMemoryDatastore(DatastoreContract):
    type_name = "fsspec"
    persistent = False

    def make_url(self, tmp_path: Path) -> str:
        return f"memory://contract-{tmp_path.name}/root"
