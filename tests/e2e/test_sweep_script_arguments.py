"""A sweep over a script's own arguments passes each child the sampled value.

HyperDrive over ``ScriptRunConfig(arguments=[...])`` once built every child's
command line as ``--kernel poly --penalty 0.5 --kernel linear --penalty 1.0``:
argparse kept the base values, every child trained the same thing, and the sweep
still named a "best" run. Each test here asserts, per child, the values the
script itself parsed (written by the script to ``outputs/parsed.json``) against
the values the child was given, for every way a v1 notebook or the CLI writes them.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from harness.run.store import RunStore
from harness.sweeps.store import SweepStore
from harness.testing import run_cli

# The score depends on both parsed values, so the best run proves them too.
SCRIPT = """
import argparse, json, os
from harness import Run
parser = argparse.ArgumentParser()
parser.add_argument("--kernel", default="linear")
parser.add_argument("--penalty", type=float, default=1.0)
args = parser.parse_args()
os.makedirs("outputs", exist_ok=True)
with open("outputs/parsed.json", "w") as f:
    json.dump(vars(args), f)
score = {"linear": 0.1, "poly": 0.5, "rbf": 0.9}[args.kernel] - args.penalty / 10
Run.get_context().log("accuracy", score)
"""

#: The base values, which no child may train with.
BASE = {"kernel": "linear", "penalty": 1.0}


@pytest.fixture
def src(tmp_path: Path) -> Path:
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "train.py").write_text(textwrap.dedent(SCRIPT))
    return folder


def parsed(home: Path, run_id: str) -> dict:
    return json.loads((home / "runs" / run_id / "outputs" / "parsed.json").read_text())


def given(home: Path, run_id: str) -> dict:
    """The values the run was given: its script_params where set, else the base."""
    params = RunStore(home).get(run_id).params["estimator"]["script_params"] or {}
    values = {str(k).lstrip("-"): v for k, v in params.items()}
    return {"kernel": values.get("kernel", BASE["kernel"]), "penalty": values.get("penalty")}


def assert_each_child_parsed_its_sample(home: Path, sweep_id: str) -> list[str]:
    children = [link["run_id"] for link in SweepStore(home).links(sweep_id)]
    assert len(children) == 2
    for run_id in children:
        assert RunStore(home).get(run_id).status == "Completed"
        got = parsed(home, run_id)
        assert got == {"kernel": given(home, run_id)["kernel"], "penalty": 0.5}, run_id
    assert sorted(parsed(home, r)["kernel"] for r in children) == ["poly", "rbf"]
    return children


# Each way v1 code puts the base values on the command line.
FORMS = {
    "arguments, --name value": lambda az, src: az.ScriptRunConfig(
        source_directory=str(src),
        script="train.py",
        arguments=["--kernel", "linear", "--penalty", 1.0],
    ),
    "arguments, --name=value": lambda az, src: az.ScriptRunConfig(
        source_directory=str(src), script="train.py", arguments=["--kernel=linear", "--penalty=1.0"]
    ),
    "script_params": lambda az, src: az.Estimator(
        source_directory=str(src),
        entry_script="train.py",
        script_params={"--kernel": "linear", "--penalty": 1.0},
    ),
    "script_params and arguments": lambda az, src: az.Estimator(
        source_directory=str(src),
        entry_script="train.py",
        script_params={"--penalty": 1.0},
        arguments=["--kernel", "linear"],
    ),
}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_hyperdrive_gives_every_child_its_sampled_values(azureml, home, src, form):
    from types import SimpleNamespace

    from azureml.core import Experiment, ScriptRunConfig, Workspace
    from azureml.train.estimator import Estimator
    from azureml.train.hyperdrive import (
        GridParameterSampling,
        HyperDriveConfig,
        PrimaryMetricGoal,
        choice,
    )

    az = SimpleNamespace(ScriptRunConfig=ScriptRunConfig, Estimator=Estimator)
    config = HyperDriveConfig(
        run_config=FORMS[form](az, src),
        hyperparameter_sampling=GridParameterSampling(
            {"--kernel": choice("poly", "rbf"), "--penalty": choice(0.5)}
        ),
        primary_metric_name="accuracy",
        primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
        max_total_runs=2,
    )
    sweep = Experiment(Workspace.from_config(), "hd-arguments").submit(config)
    sweep.wait_for_completion()
    assert sweep.get_status() == "Completed"
    assert_each_child_parsed_its_sample(home, sweep.id)
    best = sweep.get_best_run_by_primary_metric()
    assert parsed(home, best.id) == {"kernel": "rbf", "penalty": 0.5}
    assert best.get_metrics()["accuracy"] == pytest.approx(0.85)


def test_a_cli_sweep_over_arguments_and_a_rerun_of_a_child(home, src):
    result = run_cli(
        "train",
        "-m",
        "+estimator=script",
        f"estimator.source_directory={src}",
        "estimator.entry_script=train.py",
        "estimator.arguments=[--kernel,linear,'--penalty=1.0']",
        "+estimator.script_params.kernel=poly,rbf",
        "+estimator.script_params.penalty=0.5",
        home=home,
    )
    assert result.returncode == 0, result.output
    sweep_id = SweepStore(home).list()[0].id
    children = assert_each_child_parsed_its_sample(home, sweep_id)

    # A rerun rebuilds the command line from the child's record: the same values.
    child = children[0]
    rerun = run_cli("runs", "rerun", child, home=home)
    assert rerun.returncode == 0, rerun.output
    again = next(r.id for r in RunStore(home).list()[0] if (r.tags or {}).get("rerun_of") == child)
    assert parsed(home, again) == parsed(home, child)
