"""The ``pytorch`` estimator through the real ``harness`` command.

Tiny on purpose (digits, a few epochs, one CPU thread per process: this machine's
2 cores are shared, and 2 OpenMP threads per process there are far slower).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from harness.datasets.synthetic import write_cifar10, write_mnist
from harness.testing import run_cli

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

# device=cpu: these tests compare runs bit for bit, which only the CPU promises
# (on CUDA deterministic defaults to false), and must pass on a GPU machine too.
FAST = ("+estimator=pytorch", "estimator.threads=1", "estimator.device=cpu")
#: Metrics that do not depend on timing: these must match bit for bit.
EXACT = ("accuracy", "val_loss", "train_loss", "loss")


def train(home: Path, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    return run_cli("train", *FAST, *args, home=home, env=env, cwd=cwd)


def show(home: Path, run_id: str) -> dict:
    result = run_cli("runs", "show", run_id, "--format", "json", home=home)
    assert result.returncode == 0, result.output
    return result.json()


def completed(
    home: Path, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> dict:
    result = train(home, *args, env=env, cwd=cwd)
    assert result.returncode == 0, result.output
    data = show(home, result.run_id)
    assert data["status"] == "Completed"
    data["stdout"] = result.stdout
    return data


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    """One workspace with the digits runs several tests compare."""
    home = tmp_path_factory.mktemp("torch-home")
    adam = ("lr=0.003", "estimator.optimizer=adam")
    variants = {
        "full": (*adam, "epochs=3"),
        "again": (*adam, "epochs=3"),
        "seed1": (*adam, "epochs=3", "seed=1"),
        "first2": (*adam, "epochs=2"),
        "dataloader": (*adam, "epochs=3", "estimator.data_on_device=false"),
    }
    # Two at a time (one thread each): the run store is safe under concurrency.
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(completed, home, *args) for name, args in variants.items()}
        runs = {name: future.result() for name, future in futures.items()}
    return home, runs


def test_digits_trains_to_accuracy_and_saves_model_and_checkpoints(digits):
    _, runs = digits
    run = runs["full"]
    assert run["metrics"]["accuracy"] >= 0.85
    assert [p["step"] for p in run["history"]["accuracy"]] == [0, 1, 2]
    assert {p["step"] for p in run["history"]["loss"]} == {10, 20, 30, 40, 50, 60}  # log_every=10
    for name in ("val_loss", "train_loss", "epoch_time", "samples_per_s"):
        assert len(run["history"][name]) == 3, name
    assert {
        "outputs/model.pt",
        "outputs/checkpoints/epoch_0001.pt",
        "outputs/checkpoints/epoch_0003.pt",
    } <= set(run["files"])
    assert not [f for f in run["files"] if f.endswith(".tmp")]
    assert "[epoch 3/3]" in run["stdout"]  # the console logger's per-epoch progress

    import torch

    from harness.plugins.pytorch.models import MLP

    model = MLP((1, 8, 8), 10)
    state = torch.load(Path(run["path"]) / "outputs" / "model.pt", weights_only=True)
    model.load_state_dict(state)  # a plain state_dict of the default model


def test_lr_override_reaches_the_optimizer(digits):
    run = digits[1]["full"]
    assert run["params"]["lr"] == 0.003
    assert run["params"]["estimator"]["optimizer"] == "adam"
    # `lr` is what the optimizer's param group held during each epoch.
    assert [p["value"] for p in run["history"]["lr"]] == [0.003] * 3


def test_same_seed_same_metrics_bit_for_bit(digits):
    runs = digits[1]
    for name in EXACT:
        assert runs["full"]["history"][name] == _values(
            runs["again"]["history"][name], like=runs["full"]["history"][name]
        ), name
    assert runs["seed1"]["metrics"]["val_loss"] != runs["full"]["metrics"]["val_loss"]


def test_data_on_the_device_trains_the_same_model_as_the_dataloader(digits):
    """Batches cut by index from the resident tensors come in the DataLoader's
    order (same generator draws), so both paths train the same model bit for bit."""
    runs = digits[1]
    assert "data on the device" in runs["full"]["stdout"]
    assert "data through a DataLoader" in runs["dataloader"]["stdout"]
    for name in EXACT:
        assert runs["full"]["history"][name] == _values(
            runs["dataloader"]["history"][name], like=runs["full"]["history"][name]
        ), name


def _values(history: list[dict], like: list[dict]) -> list[dict]:
    """``history`` with the wall-clock times of ``like`` (only values and steps compare)."""
    return [{**point, "time": ref["time"]} for point, ref in zip(history, like, strict=True)]


@pytest.mark.parametrize("how", ["run id", "checkpoint file"])
def test_resume_gives_the_same_final_metrics(digits, how):
    home, runs = digits
    first = runs["first2"]
    assert len(first["history"]["accuracy"]) == 2
    target = (
        first["id"]
        if how == "run id"
        else str(Path(first["path"]) / "outputs/checkpoints/epoch_0002.pt")
    )
    resumed = completed(
        home, "lr=0.003", "estimator.optimizer=adam", "epochs=3", f"resume={target}"
    )
    assert "resumed from" in resumed["stdout"] and "epoch 2" in resumed["stdout"]
    assert [p["step"] for p in resumed["history"]["accuracy"]] == [2]  # only epoch 3 trained
    # The job was pinned to the checkpoint file it started from; run.json keeps the input.
    assert resumed["params"]["resume"] == target
    job = json.loads((Path(resumed["path"]) / "job.json").read_text())
    checkpoint = Path(first["path"]) / "outputs/checkpoints/epoch_0002.pt"
    assert job["params"]["resume"] == str(checkpoint.resolve())
    for name in EXACT:
        assert resumed["metrics"][name] == runs["full"]["metrics"][name], name


@pytest.mark.parametrize("backend", ["aot_eager"])
def test_compile_trains_on_the_cpu_and_its_checkpoint_resumes_uncompiled(home, backend):
    """estimator.compile (torch.compile; aot_eager: Dynamo's tracing and AOTAutograd
    without inductor's C++ code generation, minutes on this 2-core machine): the
    model learns, the job says it compiled, and its checkpoint holds the plain
    module's weights (no ``_orig_mod.`` keys), so an uncompiled run resumes from it."""
    import torch

    adam = ("lr=0.003", "estimator.optimizer=adam")
    compiled = completed(home, *adam, "epochs=1", f"estimator.compile={backend}")
    assert compiled["params"]["estimator"]["compile"] == backend
    assert f"compiled (torch.compile, {backend})" in compiled["stdout"]
    assert compiled["metrics"]["accuracy"] > 0.5  # one epoch of digits: far above chance
    checkpoint = Path(compiled["path"]) / "outputs/checkpoints/epoch_0001.pt"
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    keys = [k for part in state.values() if isinstance(part, dict) for k in part]
    assert keys and not [k for k in keys if "_orig_mod" in str(k)]
    resumed = completed(home, *adam, "epochs=2", f"resume={compiled['id']}")
    assert [p["step"] for p in resumed["history"]["accuracy"]] == [1]


def test_mnist_idx_gz_relative_path_with_the_small_cnn(tmp_path, home):
    write_mnist(tmp_path / "mnist", n_train=400, n_test=100, gz=True)
    run = completed(
        home,
        "estimator.data.format=mnist",
        "estimator.data.path=mnist",  # relative to where harness train runs
        "estimator.model=cnn",
        "estimator.optimizer=adam",
        "lr=0.003",
        "epochs=4",
        cwd=tmp_path,
    )
    assert "SmallCNN" in run["stdout"] and "shape (1, 28, 28)" in run["stdout"]
    assert run["metrics"]["accuracy"] >= 0.9


def test_cifar_batches_with_lenet_amp_and_channels_last(tmp_path, home):
    folder = write_cifar10(tmp_path / "cifar", n_per_batch=100, n_test=100)
    run = completed(
        home,
        "estimator.data.format=cifar10",
        f"estimator.data.path={folder.parent}",
        "estimator.model._target_=lenet",
        "estimator.amp=true",
        "estimator.channels_last=true",
        "estimator.optimizer=adam",
        "lr=0.003",
        "epochs=3",
    )
    assert "LeNet (62,006 parameters)" in run["stdout"]  # the tutorial's net, exactly
    assert "amp bf16" in run["stdout"] and "shape (3, 32, 32)" in run["stdout"]
    assert run["metrics"]["accuracy"] >= 0.8


def test_imagefolder_through_torchvision(tmp_path, home):
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    colours = {"red": (220, 30, 30), "green": (30, 200, 40), "blue": (30, 40, 220)}
    for name, colour in colours.items():
        (tmp_path / "images" / name).mkdir(parents=True)
        for i in range(12):
            pixels = np.clip(np.array(colour) + rng.integers(-30, 30, (20, 20, 3)), 0, 255)
            Image.fromarray(pixels.astype(np.uint8)).save(tmp_path / "images" / name / f"{i}.png")
    run = completed(
        home,
        "estimator.data.format=imagefolder",
        f"estimator.data.path={tmp_path / 'images'}",
        "estimator.data.image_size=16",
        "epochs=3",
    )
    assert "shape (3, 16, 16)" in run["stdout"] and "29 train / 7 val" in run["stdout"]
    assert run["metrics"]["accuracy"] >= 0.85


def test_user_module_through_target(tmp_path, home):
    package = tmp_path / "src" / "mypkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text(
        textwrap.dedent(
            """
            import torch.nn as nn

            class Net(nn.Module):
                def __init__(self, in_shape, num_classes, hidden=16):
                    super().__init__()
                    assert tuple(in_shape) == (1, 8, 8) and num_classes == 10
                    self.body = nn.Sequential(
                        nn.Flatten(), nn.Linear(64, hidden), nn.Tanh(), nn.Linear(hidden, num_classes)
                    )

                def forward(self, x):
                    return self.body(x)
            """
        )
    )
    run = completed(
        home,
        "estimator.model._target_=mypkg.models.Net",
        "+estimator.model.hidden=24",
        env={"PYTHONPATH": str(tmp_path / "src")},
    )
    assert "Net (1,810 parameters)" in run["stdout"]  # 64*24+24 + 24*10+10
    assert run["metrics"]["accuracy"] >= 0.85


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["estimator.data.format=mnist"], ["needs a path"]),
        (
            ["estimator.data.format=mnist", "estimator.data.path=/no/such/folder"],
            ["/no/such/folder", "not a folder"],
        ),
        (["estimator.data.format=imagefolder"], ["imagefolder needs estimator.data.path"]),
        (["estimator.model._target_=nope.models.Net"], ["cannot find module 'nope.models'"]),
        (["estimator.optimizer=rmsprop"], ["rmsprop", "sgd, adam, adamw"]),
        (["resume=no-such-run"], ["resume=no-such-run", "harness runs list"]),
        (["estimator.threads=0"], ["estimator.threads"]),
        (["estimator.deterministic=sometimes"], ["estimator.deterministic", "auto"]),
        (["estimator.data_on_device=maybe"], ["estimator.data_on_device", "true | false"]),
        (["estimator.compile=maybe"], ["compile", "maybe"]),
        (["estimator.backend=mpi"], ["estimator.backend", "nccl | gloo"]),
    ],
)
def test_bad_input_is_one_line_exit_2(home, args, needles):
    result = train(home, *args)
    assert result.returncode == 2, result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.output
    assert all(n in lines[0] for n in needles), lines
    assert not (home / "runs").exists() or not list((home / "runs").iterdir())


def test_malformed_mnist_folder_names_the_missing_file(home, tmp_path):
    folder = write_mnist(tmp_path / "mnist", n_train=20, n_test=10)
    (folder / "t10k-labels-idx1-ubyte").unlink()
    result = train(home, "estimator.data.format=mnist", f"estimator.data.path={folder}")
    assert result.returncode == 2, result.output
    assert "t10k-labels-idx1-ubyte" in result.stderr and str(folder) in result.stderr


def test_loading_the_plugin_and_validating_does_not_import_torch(home):
    code = textwrap.dedent(
        """
        import sys
        from harness.contract.manager import get_plugin_manager
        from omegaconf import OmegaConf
        manager = get_plugin_manager()
        estimator = manager.get("estimator", "pytorch")()
        from harness.plugins.pytorch.config import PyTorchOptions
        cfg = OmegaConf.create({"lr": 0.1, "epochs": 1, "batch_size": 8, "resume": None,
            "estimator": OmegaConf.structured(PyTorchOptions)})
        estimator.validate(cfg)
        assert "torch" not in sys.modules, "torch imported"
        print("ok")
        """
    )
    # The defaults live in the plugin's typed config (harness.plugins.pytorch.config).
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0 and "ok" in proc.stdout, proc.stdout + proc.stderr
    helped = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "harness", "--help"],
        capture_output=True,
        text=True,
    )
    assert helped.returncode == 0, helped.stderr
    imported = {ln.split("|")[-1].strip() for ln in helped.stderr.splitlines() if "|" in ln}
    assert "harness.plugins.pytorch" not in imported or "torch" not in imported
    assert not {m for m in imported if m == "torch" or m.startswith("torch.")}


def test_more_local_ranks_than_gpus_is_refused_before_launch(home):
    # The driver counts GPUs without torch: CUDA_VISIBLE_DEVICES names one here.
    result = run_cli(
        "train", *FAST[:2], "compute=mpi", "compute.process_count_per_node=2",
        home=home, env={"CUDA_VISIBLE_DEVICES": "0"},
    )  # fmt: skip
    assert result.returncode == 2, result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.output
    assert "2 ranks per node" in lines[0] and "1 GPU(s)" in lines[0]
    assert "estimator.backend=gloo" in lines[0] and "estimator.device=cpu" in lines[0]
    assert "run id:" not in result.stdout
    assert not (home / "runs").exists() or not list((home / "runs").iterdir())
