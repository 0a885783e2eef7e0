"""The example plugin package, pip-installed, through the real CLI."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pip_packages import EXAMPLE, installed, pytest_passed

from harness.testing import run_cli


@pytest.fixture(scope="module", autouse=True)
def example_installed(tmp_path_factory):
    with installed({"harness-example-plugin": EXAMPLE}, tmp_path_factory.mktemp("pkgs")):
        yield


#: Small and single-threaded: OpenMP threads of HistGradientBoosting crawl on a
#: busy 2-core machine, and the test is about the plugin, not the model.
SMALL = ("estimator.data=iris",)
ONE_THREAD = {"OMP_NUM_THREADS": "1"}


def show(run_id, home):
    result = run_cli("runs", "show", run_id, "--format", "json", home=home)
    assert result.returncode == 0, result.output
    return result.json()


def test_plugins_list_shows_the_example_plugin(home):
    result = run_cli("plugins", "list", "--format", "json", home=home)
    assert result.returncode == 0, result.output
    assert "warning" not in result.stderr, result.stderr
    plugins = {p["name"]: p for p in result.json()}
    example = plugins["example"]
    assert example["distribution"] == "harness-example-plugin"
    assert example["version"] == "0.1.0"
    assert example["status"] == "loaded" and example["error"] is None
    assert example["kinds"] == ["estimator", "compute", "logger"]
    assert example["components"] == {"estimator": ["hgb"], "compute": ["nice"], "logger": ["csv"]}
    assert example["config_groups"] == {
        "compute": ["nice"],
        "estimator": ["hgb"],
        "logger": ["csv"],
    }
    assert example["config_searchpath"] == ["pkg://harness_example.conf"]
    assert "harness_register_estimators" in example["hooks"]
    assert {"sklearn", "local", "loggers"} <= set(plugins)  # the built-ins still load
    table = run_cli("plugins", "show", "example", home=home)
    assert table.returncode == 0, table.output
    assert "harness-example-plugin 0.1.0" in table.stdout
    assert "estimator: hgb; compute: nice; logger: csv" in table.stdout


def test_train_with_its_estimator_param_and_csv_logger(home):
    result = run_cli(
        "train", "+estimator=hgb", "estimator.max_iter=6", "estimator.learning_rate=0.3",
        "+logger=csv", *SMALL, home=home, env=ONE_THREAD,
    )  # fmt: skip
    assert result.returncode == 0, result.output
    run = show(result.run_id, home)
    assert run["status"] == "Completed" and run["estimator"] == "hgb"
    assert run["params"]["estimator"]["learning_rate"] == 0.3
    assert run["params"]["estimator"]["max_leaf_nodes"] == 31
    assert run["params"]["estimator"]["data"] == "iris"  # from the plugin's own yaml
    assert run["metrics"]["accuracy"] > 0.8
    assert run["metrics"]["n_iter"] == 6
    assert [p["step"] for p in run["history"]["val_accuracy"]] == list(range(6))
    assert "outputs/model.joblib" in run["files"]
    assert run["provenance"]["packages"]["scikit-learn"]
    # The CSV logger's files hold what the run store holds.
    folder = Path(run["path"]) / "csv"
    with open(folder / "metrics.csv") as handle:
        rows = list(csv.DictReader(handle))
    curve = [float(r["value"]) for r in rows if r["name"] == "val_accuracy"]
    assert curve == [p["value"] for p in run["history"]["val_accuracy"]]
    with open(folder / "params.csv") as handle:
        assert dict(csv.reader(handle))["estimator.learning_rate"] == "0.3"
    with open(folder / "summary.csv") as handle:
        summary = dict(csv.reader(handle))
    assert summary["status"] == "Completed"
    assert float(summary["accuracy"]) == run["metrics"]["accuracy"]


def test_sweep_over_its_parameter(home):
    result = run_cli(
        "train", "-m", "+estimator=hgb", "estimator.max_iter=3",
        "estimator.learning_rate=0.05,0.5", *SMALL, home=home, env=ONE_THREAD,
    )  # fmt: skip
    assert result.returncode == 0, result.output
    runs = run_cli("runs", "list", "--format", "json", home=home).json()
    assert len(runs) == 2 and all(r["status"] == "Completed" for r in runs)
    rates = sorted(show(r["id"], home)["params"]["estimator"]["learning_rate"] for r in runs)
    assert rates == [0.05, 0.5]


def test_bad_value_for_its_parameter_is_a_clear_error(home):
    result = run_cli("train", "+estimator=hgb", "estimator.learning_rate=-1", home=home)
    assert result.returncode == 2, result.output
    assert "estimator.learning_rate must be > 0" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (home / "runs").exists() or not any((home / "runs").iterdir())


@pytest.mark.slow
def test_the_example_plugins_own_contract_tests_pass(tmp_path):
    """What its author runs: the harness contract kit against hgb, csv and nice."""
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLE / "tests")],
        cwd=tmp_path,
        env={**os.environ, **ONE_THREAD},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert pytest_passed(proc.stdout), proc.stdout[-2000:]
