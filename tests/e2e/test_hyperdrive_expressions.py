"""HyperDrive's sampled expressions in real sweeps: per child, the value the script
parsed is the run's recorded override and lies on the expression's support and
grid; the sweep record keeps the search space; a sweeper that cannot sample them
refuses them in one line with nothing written."""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path

import pytest

from harness.run.store import RunStore
from harness.sweeps.store import SweepStore
from harness.testing import run_cli

pytest.importorskip("optuna")

SCRIPT = """
import argparse, json, os
from harness import Run
parser = argparse.ArgumentParser()
for name in ("normal", "lognormal", "qlognormal", "qloguniform"):
    parser.add_argument("--" + name, type=float)
for name in ("qnormal", "quniform", "randint"):
    parser.add_argument("--" + name, type=int)  # whole-number q, randint: the job gets ints
args = parser.parse_args()
os.makedirs("outputs", exist_ok=True)
with open("outputs/parsed.json", "w") as f:
    json.dump(vars(args), f)
Run.get_context().log("accuracy", -abs(args.normal or 0.0))
"""


@pytest.fixture
def src(tmp_path: Path) -> Path:
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "train.py").write_text(textwrap.dedent(SCRIPT))
    return folder


def parsed(home: Path, run_id: str) -> dict:
    return json.loads((home / "runs" / run_id / "outputs" / "parsed.json").read_text())


def given(home: Path, run_id: str) -> dict:
    """The child's sampled values, as its run record holds them (its overrides)."""
    values = {}
    for item in RunStore(home).get(run_id).overrides:
        key, _, value = item.lstrip("+").partition("=")
        if key.startswith("estimator.script_params."):
            values[key.rsplit(".", 1)[1]] = json.loads(value)
    return values


def on_grid(value: float, q: float) -> bool:
    return abs(value / q - round(value / q)) < 1e-9


def check_children(home: Path, sweep_id: str, names: list[str], count: int) -> list[dict]:
    children = [link["run_id"] for link in SweepStore(home).links(sweep_id)]
    assert len(children) == count
    seen = []
    for run_id in children:
        assert RunStore(home).get(run_id).status == "Completed"
        got = {k: v for k, v in parsed(home, run_id).items() if k in names}
        assert got == given(home, run_id), run_id  # what the script parsed = the record
        seen.append(got)
    return seen


def test_a_cli_sweep_samples_each_expression_onto_its_support(home, src):
    result = run_cli(
        "train",
        "-m",
        "+estimator=script",
        f"estimator.source_directory={src}",
        "estimator.entry_script=train.py",
        "hydra/sweeper=optuna",
        "hydra/sweeper/sampler=random",
        "hydra.sweeper.sampler.seed=5",
        "hydra.sweeper.n_trials=4",
        "+estimator.script_params.normal=tag(normal, interval(0, 1))",
        "+estimator.script_params.qnormal=tag(qnormal, range(100, 20, 8))",
        "+estimator.script_params.quniform=tag(quniform, range(0.5, 10, 1))",
        home=home,
    )
    assert result.returncode == 0, result.output
    (sweep,) = SweepStore(home).list()
    assert sweep.search_space == {
        "estimator.script_params.normal": {"kind": "normal", "mu": 0.0, "sigma": 1.0},
        "estimator.script_params.qnormal": {
            "kind": "qnormal",
            "mu": 100.0,
            "sigma": 20.0,
            "q": 8.0,
        },
        "estimator.script_params.quniform": {
            "kind": "quniform",
            "low": 0.5,
            "high": 10.0,
            "q": 1.0,
        },
    }
    seen = check_children(home, sweep.id, ["normal", "qnormal", "quniform"], 4)
    for values in seen:
        assert isinstance(values["qnormal"], int) and values["qnormal"] % 8 == 0
        assert isinstance(values["quniform"], int) and 0 <= values["quniform"] <= 10
    assert len({v["normal"] for v in seen}) == 4  # sampled, not one value for all


def test_a_grid_refuses_sampled_expressions_and_writes_nothing(home, src):
    for sweeper in ([], ["hydra/sweeper=optuna", "hydra/sweeper/sampler=grid"]):
        result = run_cli(
            "train",
            "-m",
            "+estimator=script",
            f"estimator.source_directory={src}",
            "estimator.entry_script=train.py",
            *sweeper,
            "+estimator.script_params.quniform=tag(quniform, range(0.5, 10, 1))",
            home=home,
        )
        assert result.returncode == 2, result.output
        line = result.stderr.strip().splitlines()[-1]
        assert "quniform(0.5, 10, 1) is sampled, so it needs hydra/sweeper=optuna" in line
        assert "Traceback" not in result.stderr
    assert list(home.glob("runs/*")) == [] and list(home.glob("sweeps/*")) == []


def test_every_v1_expression_through_the_azureml_layer(azureml, home, src):
    from azureml.core import Experiment, ScriptRunConfig, Workspace
    from azureml.train.hyperdrive import (
        HyperDriveConfig,
        PrimaryMetricGoal,
        RandomParameterSampling,
        lognormal,
        normal,
        qlognormal,
        qloguniform,
        qnormal,
        quniform,
        randint,
    )

    sampling = RandomParameterSampling(
        {
            "--normal": normal(10, 2),
            "--lognormal": lognormal(0, 0.5),
            "--qnormal": qnormal(50, 10, 5),
            "--qlognormal": qlognormal(1, 0.5, 0.25),
            "--quniform": quniform(1, 64, 8),
            "--qloguniform": qloguniform(0, 4, 0.5),
            "--randint": randint(100),  # an int, as v1's: argparse type=int parses it
        }
    )
    config = HyperDriveConfig(
        run_config=ScriptRunConfig(source_directory=str(src), script="train.py"),
        hyperparameter_sampling=sampling,
        primary_metric_name="accuracy",
        primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
        max_total_runs=3,
    )
    run = Experiment(Workspace.from_config(), "hd-expressions").submit(config)
    run.wait_for_completion()
    assert run.get_status() == "Completed"
    names = ["normal", "lognormal", "qnormal", "qlognormal", "quniform", "qloguniform", "randint"]
    for values in check_children(home, run.id, names, 3):
        assert values["lognormal"] > 0
        assert values["qnormal"] % 5 == 0
        assert values["qlognormal"] >= 0 and on_grid(values["qlognormal"], 0.25)
        assert values["quniform"] % 8 == 0 and 0 <= values["quniform"] <= 64
        assert on_grid(values["qloguniform"], 0.5)
        assert 1.0 <= values["qloguniform"] <= round(math.exp(4) / 0.5) * 0.5
        assert isinstance(values["randint"], int) and 0 <= values["randint"] < 100
    space = SweepStore(home).get(run.id).search_space
    assert space["estimator.script_params.qloguniform"] == {
        "kind": "qloguniform",
        "low": 0.0,
        "high": 4.0,
        "q": 0.5,
    }
