"""The Chainer estimator (`+estimator=chainer`) through the real `harness` command."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from harness.datasets.synthetic import write_cifar10, write_mnist
from harness.plugins.chainer.compat import chainer_available
from harness.testing import run_cli
from harness.testing.requirements import unavailable

# find_spec, not importorskip: importing chainer before the compat patch fails.
pytestmark = pytest.mark.skipif(
    not chainer_available(), reason="the chainer extra is not installed"
)


def show(run_id, home):
    result = run_cli("runs", "show", run_id, "--format", "json", home=home)
    assert result.returncode == 0, result.output
    return result.json()


def values(data, name):
    return [point["value"] for point in data["history"][name]]


def test_chainer_trains_on_digits_and_saves_a_loadable_model(home):
    result = run_cli("train", "+estimator=chainer", "epochs=4", home=home)
    assert result.returncode == 0, result.output
    data = show(result.run_id, home)
    assert data["status"] == "Completed"
    assert data["metrics"]["accuracy"] >= 0.85
    assert len(values(data, "accuracy")) == 4 and len(values(data, "val_loss")) == 4
    assert all(v > 0 for v in values(data, "samples_per_sec"))
    assert values(data, "train_loss")[-1] < values(data, "train_loss")[0]
    assert {"outputs/model.npz", "outputs/model.json"} <= set(data["files"])
    assert data["provenance"]["packages"]["chainer"] == "7.8.1"

    # The saved weights reproduce the logged validation accuracy on the same split.
    from harness import datasets
    from harness.plugins.chainer.compat import import_chainer
    from harness.plugins.chainer.training import load_model

    chainer = import_chainer()
    model = load_model(home / "runs" / result.run_id / "outputs")
    digits = datasets.load("digits", test_size=0.2, seed=0)
    with chainer.using_config("train", False), chainer.no_backprop_mode():
        predicted = model.predictor(digits.x_test).array.argmax(axis=1)
    accuracy = float((predicted == digits.y_test).mean())
    assert accuracy == pytest.approx(data["metrics"]["accuracy"], abs=1e-6)


def test_overrides_reach_the_trainer(home):
    result = run_cli(
        "train",
        "+estimator=chainer",
        "epochs=2",
        "batch_size=64",
        "lr=0.003",
        "estimator.optimizer.name=adam",
        "estimator.model.n_units=20",
        home=home,
    )
    assert result.returncode == 0, result.output
    assert "2 epochs, batch 64, Adam(alpha=0.003)" in result.stdout
    data = show(result.run_id, home)
    assert data["params"]["lr"] == 0.003 and data["params"]["batch_size"] == 64
    assert len(values(data, "accuracy")) == 2
    weights = np.load(home / "runs" / result.run_id / "outputs" / "model.npz")
    assert weights["predictor/l1/W"].shape == (20, 64)  # n_units × 8·8 inputs


def test_same_seed_gives_the_same_metrics(home):
    runs = [
        run_cli("train", "+estimator=chainer", "epochs=1", "seed=3", home=home) for _ in range(2)
    ]
    assert all(r.returncode == 0 for r in runs), runs[0].output
    first, second = (show(r.run_id, home)["history"] for r in runs)
    for name in ("train_loss", "val_loss", "accuracy"):
        assert [p["value"] for p in first[name]] == [p["value"] for p in second[name]]


def test_mnist_idx_files_with_the_cnn(home, tmp_path):
    write_mnist(tmp_path / "mnist", n_train=400, n_test=100, gz=True)
    result = run_cli(
        "train",
        "+estimator=chainer",
        "estimator.data.format=mnist",
        "estimator.data.path=mnist",  # relative to where harness runs
        "estimator.model.name=cnn",
        "epochs=2",
        home=home,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.output
    assert "cnn on mnist (1, 28, 28), 400 train / 100 val samples" in result.stdout
    assert show(result.run_id, home)["metrics"]["accuracy"] >= 0.8


def test_cifar10_batches(home, tmp_path):
    folder = write_cifar10(tmp_path, n_per_batch=60, n_test=100)
    result = run_cli(
        "train",
        "+estimator=chainer",
        "estimator.data.format=cifar10",
        f"estimator.data.path={folder}",
        "epochs=3",
        home=home,
    )
    assert result.returncode == 0, result.output
    assert "mlp on cifar10 (3, 32, 32), 300 train / 100 val samples" in result.stdout
    assert show(result.run_id, home)["metrics"]["accuracy"] >= 0.5


@pytest.mark.parametrize(
    ("overrides", "needles"),
    [
        (["estimator.data.format=mnist", "estimator.data.path=/no/such/mnist"], ["/no/such/mnist"]),
        (["estimator.data.format=cifar10"], ["estimator.data.path"]),
        (["estimator.model.name=resnet"], ["estimator.model.name", "mlp, cnn"]),
        (["estimator.optimizer.name=rmsprop"], ["momentum_sgd, adam"]),
        (["epochs=0"], ["epochs must be a positive integer"]),
    ],
)
def test_bad_input_is_exit_2(home, tmp_path, overrides, needles):
    result = run_cli("train", "+estimator=chainer", *overrides, home=home)
    assert result.returncode == 2, result.output
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in result.stderr, result.output
    assert not (home / "runs").exists() or list((home / "runs").iterdir()) == []


def test_wrong_format_files_are_a_clear_error(home, tmp_path):
    (tmp_path / "train-images-idx3-ubyte").write_bytes(b"not idx")
    for name in ("train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (tmp_path / name).write_bytes(b"")
    result = run_cli(
        "train",
        "+estimator=chainer",
        "estimator.data.format=mnist",
        f"estimator.data.path={tmp_path}",
        home=home,
    )
    assert result.returncode == 1, result.output  # the files exist; reading them fails in the job
    assert "not an IDX file" in show(result.run_id, home)["error"]


def test_the_plugin_does_not_import_chainer_until_training():
    code = (
        "import sys, harness.plugins.chainer, harness.plugins.chainer.estimator;"
        "assert 'chainer' not in sys.modules, 'chainer imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def _mpiexec() -> str | None:
    import shutil
    from pathlib import Path

    beside = Path(sys.executable).with_name("mpiexec")
    return str(beside) if beside.exists() else shutil.which("mpiexec")


@pytest.mark.slow
@pytest.mark.mpi
def test_chainermn_path_on_two_ranks(home):
    """The ChainerMN path, run the way an MPI compute runs it: the run's own job.json
    under `mpiexec -n 2 python -m mpi4py -m harness.worker` (the `compute=mpi`
    end-to-end test lives with the mpi plugin)."""
    if _mpiexec() is None:
        unavailable("mpi", "no mpiexec (the mpi extra)")
    import os
    import shutil

    created = run_cli("train", "+estimator=chainer", "epochs=4", "experiment=mn", home=home)
    assert created.returncode == 0, created.output
    run_dir = home / "runs" / created.run_id
    for sub in ("metrics", "outputs"):
        shutil.rmtree(run_dir / sub)
        (run_dir / sub).mkdir()
    env = {
        **os.environ,
        "HARNESS_HOME": str(home),
        "OMPI_ALLOW_RUN_AS_ROOT": "1",
        "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
    }
    env.pop("HARNESS_JOB_SPEC", None)
    proc = subprocess.run(
        [_mpiexec(), "--oversubscribe", "-n", "2", sys.executable, "-m", "mpi4py"]
        + ["-m", "harness.worker", str(run_dir / "job.json")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "per rank × 2 ranks (ChainerMN)" in proc.stdout
    # Only rank 0 records: one metrics file, from rank 0.
    assert [p.name.split("-")[0] for p in (run_dir / "metrics").iterdir()] == ["rank0"]
    from harness.run.metrics import last_values

    assert last_values(run_dir)["accuracy"] >= 0.85
    assert (run_dir / "outputs" / "model.npz").is_file()
