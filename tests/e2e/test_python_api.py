"""The Python API (harness.sdk) end to end: submit is non-blocking and detached,
handles read runs back exactly as the CLI shows them, refusals are the CLI's own
one-line errors, sweeps from Python are harness sweeps."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from harness import (
    EstimatorConfig,
    Experiment,
    GridSampling,
    ScriptRunConfig,
    SubmitError,
    SweepConfig,
    Workspace,
    choice,
)
from harness.errors import ConfigError, HarnessError
from harness.testing import run_cli

SCRIPT = """
import argparse, os, time
from pathlib import Path
from harness import Run

parser = argparse.ArgumentParser()
parser.add_argument("--regularization", type=float)
parser.add_argument("--gate")
args = parser.parse_args()
run = Run.get_context()
print("started", args.regularization, flush=True)
while args.gate and not Path(args.gate).exists():
    time.sleep(0.05)
for step in range(3):
    run.log("loss", 1.0 / (step + 1))
run.log("accuracy", 0.9)
run.log_row("table", a=1, b=2)
run.log_row("table", a=3, b=4)
Path("outputs/model.pkl").write_text("model")
os.makedirs("outputs/sub", exist_ok=True)
Path("outputs/sub/extra.txt").write_text("x")
print("finished", flush=True)
"""


def write_src(folder: Path, text: str = SCRIPT, name: str = "train.py") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(textwrap.dedent(text))
    return folder


def cli_json(home: Path, *args: str):
    result = run_cli(*args, "--format", "json", home=home)
    assert result.returncode == 0, result.output
    return result.json()


def test_submit_returns_while_the_job_runs_and_the_handle_reads_it_back(home, tmp_path, capsys):
    src = write_src(tmp_path / "src")
    gate = tmp_path / "gate"
    exp = Experiment("api", workspace=Workspace(home))
    run = exp.submit(
        ScriptRunConfig(
            src,
            "train.py",
            arguments=["--gate", str(gate)],
            script_params={"--regularization": 0.8},
        ),
        tags={"team": "a"},
    )
    # submit came back while the script waits for the gate: non-blocking
    assert run.get_status() in ("Queued", "Running")
    assert run.tags == {"team": "a"}
    gate.write_text("go")
    details = run.wait_for_completion(show_output=True)
    printed = capsys.readouterr().out
    assert "started 0.8" in printed and "finished" in printed and "Status: Completed" in printed
    assert details["status"] == "Completed"

    metrics = run.get_metrics()
    assert metrics["loss"] == [1.0, 0.5, 1.0 / 3]  # repeated log → list, as v1
    assert metrics["accuracy"] == 0.9  # one value → the value
    assert metrics["table"] == {"a": [1, 3], "b": [2, 4]}  # rows → columns
    assert run.get_metrics("accuracy") == {"accuracy": 0.9}

    shown = cli_json(home, "runs", "show", run.id)
    mine = run.get_details()
    for key in ("id", "status", "params", "overrides", "history", "files", "tags", "metrics"):
        assert mine[key] == shown[key], key
    assert {"outputs/model.pkl", "outputs/sub/extra.txt"} <= set(run.get_file_names())

    assert run.download_file("outputs/model.pkl", tmp_path / "m.pkl").read_text() == "model"
    got = run.download_files("outputs/", tmp_path / "dl")
    assert (tmp_path / "dl" / "outputs" / "sub" / "extra.txt").read_text() == "x" and len(got) == 2

    run.tag("stage", "test")
    run.set_tags({"k": 1})
    assert cli_json(home, "runs", "show", run.id)["tags"] == {
        "team": "a",
        "stage": "test",
        "k": "1",
    }
    run.add_properties({"p": "1"})
    run.add_properties({"p": "1"})  # the same value again is fine
    with pytest.raises(ConfigError, match="properties cannot change"):
        run.add_properties({"p": "2"})

    model = run.register_model(
        "clf", "outputs/model.pkl", tags={"t": "v"}, properties={"q": 2}, description="d"
    )
    assert (model.name, model.version, model.id) == ("clf", 1, "clf:1")
    entry = cli_json(home, "models", "show", "clf")
    assert entry["run_id"] == run.id and entry["properties"] == {"q": "2"}
    assert model.url.startswith("file://") and model.properties == {"q": "2"}
    assert [r.id for r in exp.get_runs()] == [run.id]
    assert run.get_children() == [] and run.parent is None
    model.set_alias("prod")
    assert cli_json(home, "models", "show", "clf@prod")["version"] == 1
    run.delete()
    assert run_cli("runs", "show", run.id, home=home).returncode == 2


def test_a_refused_submit_raises_the_cli_message_and_writes_nothing(home, tmp_path):
    src = write_src(tmp_path / "src")
    exp = Experiment("api", workspace=Workspace(home))
    with pytest.raises(SubmitError) as caught:
        exp.submit(ScriptRunConfig(src, "missing.py"))
    cli = run_cli(
        "train",
        "+estimator=script",
        f"estimator.source_directory={src}",
        "estimator.entry_script=missing.py",
        home=home,
    )
    assert cli.returncode == 2
    assert f"harness: error: {caught.value}" in cli.stderr
    assert isinstance(caught.value, HarnessError) and "\n" not in str(caught.value)
    assert not (home / "runs").exists() or not any((home / "runs").iterdir())
    assert not (home / "submissions").exists()
    with pytest.raises(ConfigError, match="short flag"):
        exp.submit(ScriptRunConfig(src, "train.py", script_params={"-v": True}))
    with pytest.raises(ConfigError, match="cannot submit"):
        exp.submit("train.py")


def test_the_job_outlives_the_process_that_submitted_it(home, tmp_path):
    src = write_src(tmp_path / "src")
    gate = tmp_path / "gate"
    code = f"""
from harness import Experiment, ScriptRunConfig, Workspace
run = Experiment("api", workspace=Workspace({str(home)!r})).submit(
    ScriptRunConfig({str(src)!r}, "train.py", arguments=["--gate", {str(gate)!r}]))
print(run.id)
"""
    # The submitting process (think: a notebook kernel) exits while the job waits.
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    run_id = done.stdout.strip().splitlines()[-1]
    from harness import Run

    handle = Run.get(run_id, workspace=Workspace(home))
    assert handle.get_status() == "Running"
    gate.write_text("go")
    assert handle.wait_for_completion(timeout=120)["status"] == "Completed"


def test_cancel_from_python(home, tmp_path):
    src = write_src(tmp_path / "src")
    run = Experiment("api", workspace=Workspace(home)).submit(
        ScriptRunConfig(src, "train.py", arguments=["--gate", str(tmp_path / "never")])
    )
    run.cancel()
    assert run.get_status() == "Canceled"
    with pytest.raises(HarnessError, match="Canceled"):
        run.wait_for_completion()
    assert run.wait_for_completion(raise_on_error=False)["status"] == "Canceled"


def test_a_sweep_from_python_is_the_sweep_harness_sweeps_shows(home, tmp_path):
    config = SweepConfig(
        EstimatorConfig("sklearn", {"max_iter": 200}),
        GridSampling({"C": choice(0.001, 1.0)}),
        primary_metric_name="accuracy",
        primary_metric_goal="MAXIMIZE",
        max_total_runs=2,
    )
    sweep = Experiment("api-sweep", workspace=Workspace(home)).submit(config)
    summary = sweep.wait_for_completion()
    assert summary["counts"]["completed"] == 2
    children = sweep.get_children()
    assert len(children) == 2 and all(c.parent.id == sweep.id for c in children)
    ranked = sweep.get_children_sorted_by_primary_metric()
    assert ranked[0]["best_primary_metric"] >= ranked[1]["best_primary_metric"]
    assert sorted(r["hyperparameters"][0] for r in ranked) == [
        "estimator.C=0.001",
        "estimator.C=1.0",
    ]
    best = sweep.get_best_run_by_primary_metric()
    assert best.id == ranked[0]["run_id"]
    assert cli_json(home, "sweeps", "best", sweep.id)["run_id"] == best.id
    assert cli_json(home, "sweeps", "show", sweep.id) == sweep.get_summary()
    assert set(sweep.get_metrics()) == {c.id for c in children}
    assert [s["id"] for s in cli_json(home, "sweeps", "list")] == [sweep.id]
    assert list(Workspace(home).sweeps) == [sweep.id]


def test_a_grid_larger_than_max_total_runs_is_refused_before_anything_runs(home):
    config = SweepConfig(
        EstimatorConfig("sklearn"),
        GridSampling({"C": choice(0.1, 1.0, 10.0)}),
        "accuracy",
        "maximize",
        max_total_runs=2,
    )
    with pytest.raises(SubmitError, match="max_total_runs=2"):
        Experiment("api", workspace=Workspace(home)).submit(config)
    assert not (home / "runs").exists() or not any((home / "runs").iterdir())


def test_wait_times_out_on_a_running_job(home, tmp_path):
    src = write_src(tmp_path / "src")
    run = Experiment("api", workspace=Workspace(home)).submit(
        ScriptRunConfig(src, "train.py", arguments=["--gate", str(tmp_path / "g")])
    )
    start = time.monotonic()
    with pytest.raises(HarnessError, match="still"):
        run.wait_for_completion(timeout=1)
    assert time.monotonic() - start < 30
    (tmp_path / "g").write_text("go")
    assert run.wait_for_completion(timeout=120)["status"] == "Completed"
    assert json.loads((run.record().path / "script.json").read_text())["argv"][:2] == [
        "--gate",
        str(tmp_path / "g"),
    ]
