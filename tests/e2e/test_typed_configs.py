"""Every built-in component's options are typed (``harness_config_schemas``): a wrong
type or an unknown key is refused before a run exists, in one line that names the
key, the type the component declares and a value it accepts; `--help` shows them."""

from __future__ import annotations

import pytest

from harness.testing import run_cli

SCRIPT = ("+estimator=script", "estimator.entry_script=train.py")

# (overrides, what the one line must say)
WRONG_TYPES = [
    (["estimator.C=abc"], ["estimator.C=abc", "must be a float", "estimator=sklearn", "e.g. estimator.C=1.0"]),
    (["estimator.max_iter=many"], ["estimator.max_iter", "must be an int", "e.g. estimator.max_iter=1000"]),
    (["estimator.data.format=parquet"], ["must be one of digits|iris", "csv|npz"]),
    (["estimator.data.test_size=half"], ["estimator.data.test_size", "must be a float"]),
    (["+estimator=chainer", "estimator.model.n_units=wide"], ["estimator.model.n_units", "must be an int", "estimator=chainer"]),
    (["+estimator=chainer", "estimator.optimizer.name=rmsprop"], ["must be one of momentum_sgd|adam"]),
    (["+estimator=chainer", "epochs=ten"], ["epochs", "must be an int", "e.g. epochs=10"]),
    ([*SCRIPT, "estimator.snapshot_max_mb=big"], ["estimator.snapshot_max_mb", "must be a float", "estimator=script"]),
    ([*SCRIPT, "estimator.azureml_compat=maybe"], ["estimator.azureml_compat", "must be a bool"]),
    ([*SCRIPT, "estimator.script_params=abc"], ["estimator.script_params", "must be a mapping"]),
    (["compute.timeout=soon"], ["compute.timeout", "must be a float or null", "compute=local"]),
    (["compute=mpi", "compute.process_count_per_node=two"], ["compute.process_count_per_node=two", "must be an int", "compute=mpi", "e.g. compute.process_count_per_node=1"]),
    (["compute=mpi", "compute.skip_fabric_probe=perhaps"], ["compute.skip_fabric_probe", "must be a bool"]),
    (["compute=slurm", "compute.node_count=many"], ["compute.node_count", "must be an int", "compute=slurm"]),
    (["compute=slurm", "compute.mem_gb=lots"], ["compute.mem_gb", "must be a float or null"]),
    (["compute=ray", "compute.num_gpus=lots"], ["compute.num_gpus", "must be a float", "compute=ray"]),
    (["compute=ray", "compute.memory=big"], ["compute.memory", "must be an int or null"]),
    (["logger.console.progress=perhaps"], ["logger.console.progress", "must be a bool", "logger=console"]),
    (["+logger=mlflow", "logger.mlflow.http_retries=many"], ["logger.mlflow.http_retries", "must be an int", "logger=mlflow"]),
    (["+logger=tensorboard", "logger.tensorboard.finish_timeout=soon"], ["logger.tensorboard.finish_timeout", "must be a float"]),
]  # fmt: skip

# An unknown key, with or without `+` (Hydra adds a `+` key to any node).
UNKNOWN_KEYS = [
    (["compute.timeuot=5"], ["compute.timeuot is not an option of compute=local", "did you mean compute.timeout?"]),
    (["+compute.timeuot=5"], ["compute.timeuot is not an option of compute=local", "did you mean compute.timeout?"]),
    (["compute=mpi", "+compute.proces_count_per_node=2"], ["compute.proces_count_per_node is not an option of compute=mpi", "did you mean compute.process_count_per_node?"]),
    (["compute=slurm", "compute.partiton=debug"], ["not an option of compute=slurm", "did you mean compute.partition?"]),
    (["compute=ray", "+compute.adress=auto"], ["not an option of compute=ray", "did you mean compute.address?"]),
    (["+estimator.data.formatt=csv"], ["estimator.data.formatt is not an option", "did you mean estimator.data.format?"]),
    (["+estimator=chainer", "+estimator.comunicator=naive"], ["not an option of estimator=chainer", "did you mean estimator.communicator?"]),
    ([*SCRIPT, "+estimator.entry_scritp=train.py"], ["not an option of estimator=script", "did you mean estimator.entry_script?"]),
    (["+estimator=pytorch", "+estimator.epochz=3"], ["not an option of estimator=pytorch"]),
    (["+logger=mlflow", "+logger.mlflow.http_retriez=1"], ["not an option of logger=mlflow", "did you mean logger.mlflow.http_retries?"]),
    (["+logger=jsonl", "logger.jsonl.pth=x.jsonl"], ["not an option of logger=jsonl", "did you mean logger.jsonl.path?"]),
    # A logger enabled through one of its keys, the form the hint above recommends: typed too.
    (["+logger.jsonl.bogus=1", "+logger.jsonl.path=123"], ["logger.jsonl.bogus is not an option of logger=jsonl"]),
    (["+logger.mlflow.http_retries=many"], ["logger.mlflow.http_retries", "must be an int", "logger=mlflow"]),
]  # fmt: skip


def _refused(home, args, needles):
    result = run_cli("train", *args, home=home)
    assert result.returncode == 2, result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("harness: error: "), result.output
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    runs = home / "runs"
    assert not runs.exists() or not [p for p in runs.iterdir() if not p.name.startswith(".")]


@pytest.mark.parametrize(("args", "needles"), WRONG_TYPES, ids=lambda v: " ".join(v)[:60])
def test_a_wrong_type_is_refused_naming_the_type_and_a_fix(tmp_path, args, needles):
    _refused(tmp_path, args, needles)


@pytest.mark.parametrize(("args", "needles"), UNKNOWN_KEYS, ids=lambda v: " ".join(v)[:60])
def test_an_unknown_key_is_refused_with_the_closest_option(tmp_path, args, needles):
    _refused(tmp_path, args, needles)


def test_open_options_stay_open(tmp_path):
    """The sklearn model's parameters, script_params and environment mappings are
    not declared: adding and removing keys there still works."""
    shown = run_cli(
        "train", "~estimator.C", "+estimator.solver=saga",
        "+estimator.environment.pip_packages=[tabulate==0.9.0]", "--cfg", "job", home=tmp_path,
    )  # fmt: skip
    assert shown.returncode == 0, shown.output
    assert "solver: saga" in shown.stdout and "  C: " not in shown.stdout
    assert "- tabulate==0.9.0" in shown.stdout
    script = run_cli(
        "train", *SCRIPT, "+estimator.script_params.lr=0.1", "estimator.arguments=[--x,3]",
        "--cfg", "job", home=tmp_path,
    )  # fmt: skip
    assert script.returncode == 0, script.output
    assert "script_params:\n    lr: 0.1" in script.stdout


def test_help_shows_every_builtin_components_types(tmp_path):
    result = run_cli("train", "+estimator=chainer", "--help", home=tmp_path)
    assert result.returncode == 0, result.output
    options = result.stdout.split("== Options of each component ==", 1)[1]
    for source in ("sklearn", "chainer", "script", "pytorch"):
        assert f"estimator={source}  (typed, plugin '{source}')" in options
    for source in ("local", "mpi", "slurm", "ray"):
        assert f"compute={source}  (typed, plugin '{source}')" in options
    for source in ("console", "jsonl", "mlflow", "tensorboard"):
        assert f"logger={source}  (typed, plugin 'loggers')" in options
    for row in (
        "  estimator.model.name: mlp|cnn = mlp\n",
        "  estimator.max_iter: int = 1000\n",
        "  estimator.*: parameters of the model's constructor",
        "  estimator.snapshot_max_mb: float = 300\n",
        "  compute.process_count_per_node: int = 1\n",
        "  compute.mem_gb: float or null = None\n",
        "  compute.num_gpus: float = 0\n",
        "  logger.mlflow.http_retries: int = 2\n",
        "  logger.console.progress: bool = True\n",
    ):
        assert row in options, row
