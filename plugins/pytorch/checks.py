"""Driver-side checks of the ``pytorch`` estimator's config, without importing torch.

``PyTorchEstimator.validate`` runs these before the run record exists, so every
mistake here is one line and exit code 2 with nothing written.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

from harness.errors import ConfigError, NotFoundError

ALIASES = {
    "mlp": "harness.plugins.pytorch.models.MLP",
    "cnn": "harness.plugins.pytorch.models.SmallCNN",
    "lenet": "harness.plugins.pytorch.models.LeNet",
}
BACKENDS = ("auto", "nccl", "gloo")
#: What the imagefolder pre-check counts as an image (torchvision decodes them).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".ppm", ".pgm", ".tif", ".tiff", ".webp")
CHECKPOINT_DIR = "checkpoints"
CHECKPOINT_GLOB = "epoch_*.pt"


def validate(config: Any) -> None:
    est = config.estimator
    _positive("lr", config.get("lr"), float)
    _positive("epochs", config.get("epochs"), int)
    _positive("batch_size", config.get("batch_size"), int)
    _positive("estimator.log_every", est.log_every, int)
    # Types and the choices of optimizer and data.format are checked while composing
    # (config.py); what is left here are ranges, paths, files and combinations.
    threads = est.threads
    if threads not in (None, "auto") and (not isinstance(threads, int) or threads < 1):
        raise ConfigError(f"estimator.threads must be auto or a positive integer, got {threads!r}")
    if est.num_workers < 0:
        raise ConfigError("estimator.num_workers must be 0 or more")
    check_device(str(est.device))
    for key in ("deterministic", "data_on_device"):
        _choice(f"estimator.{key}", est.get(key, "auto"), (True, False, "auto"))
    _choice("estimator.backend", str(est.get("backend", "auto")), BACKENDS)
    _choice("estimator.compile", est.get("compile", False), (True, False, *COMPILE_BACKENDS))
    check_ranks_per_gpu(config)
    target, _ = model_spec(est.model)
    check_importable(target)
    check_data(est.data)
    if config.get("resume"):
        resolve_checkpoint(str(config.resume))


#: torch.compile backends estimator.compile may name (true: torch's default, inductor).
COMPILE_BACKENDS = ("inductor", "aot_eager", "eager", "cudagraphs")


def _choice(key: str, value: Any, allowed: tuple[Any, ...]) -> None:
    if value not in allowed or (isinstance(value, int) and not isinstance(value, bool)):
        names = " | ".join(str(a).lower() for a in allowed)
        raise ConfigError(f"{key} must be {names}, got {value!r}")


def count_gpus() -> int:
    """NVIDIA GPUs this process may use, without importing torch (the driver).

    ``CUDA_VISIBLE_DEVICES`` when set, else the devices the NVIDIA driver lists
    in /proc (Linux). 0 on a machine without them."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return len([d for d in visible.split(",") if d.strip() and d.strip() != "-1"])
    listed = Path("/proc/driver/nvidia/gpus")
    try:
        return len([d for d in listed.iterdir() if d.is_dir()])
    except OSError:
        return 0


def ranks_per_gpu_error(local_ranks: int, gpus: int, how: str) -> str:
    return (
        f"{local_ranks} ranks per node ({how}) but {gpus} GPU(s) here: NCCL needs one GPU "
        f"per rank; run at most {gpus} per node, or set estimator.device=cpu, or "
        "estimator.backend=gloo to let ranks share a GPU"
    )


def check_ranks_per_gpu(config: Any) -> None:
    """Under compute=mpi each local rank trains on its own GPU (NCCL): more local
    ranks than GPUs is refused before launch unless the user asks for gloo."""
    compute, est = config.get("compute") or {}, config.estimator
    if compute.get("name") != "mpi" or str(est.get("backend", "auto")) == "gloo":
        return
    device = str(est.get("device", "auto"))
    if device in ("cpu", "mps"):
        return
    local_ranks = int(compute.get("process_count_per_node") or 1)
    gpus = count_gpus()
    if gpus == 0 and device == "auto":
        return  # auto trains on the CPU
    if local_ranks > 1 and local_ranks > gpus:
        raise ConfigError(
            ranks_per_gpu_error(local_ranks, gpus, f"compute.process_count_per_node={local_ranks}")
        )


def _positive(key: str, value: Any, kind: type) -> None:
    if value is None or not isinstance(value, (int, float)) or value <= 0:
        raise ConfigError(f"{key} must be a positive {kind.__name__}, got {value!r}")


def check_device(device: str) -> None:
    if device in ("auto", "cpu", "mps"):
        return
    if device == "cuda" or device.startswith("cuda:"):
        gpus = count_gpus()  # not torch: the driver imports no framework
        index = device.partition(":")[2]
        if gpus == 0:
            raise ConfigError(
                f"estimator.device={device} but no CUDA device is available; use device=auto or cpu"
            )
        if index and (not index.isdigit() or int(index) >= gpus):
            raise ConfigError(f"estimator.device={device} but this machine has {gpus} GPU(s)")
        return
    raise ConfigError(f"estimator.device '{device}' is not one of auto, cpu, cuda, cuda:N, mps")


def model_spec(node: Any) -> tuple[str, dict[str, Any]]:
    """(dotted class path, constructor kwargs) from ``estimator.model``."""
    from omegaconf import DictConfig, OmegaConf

    if isinstance(node, DictConfig):
        node = OmegaConf.to_container(node, resolve=True)
    if isinstance(node, str):
        node = {"_target_": node}
    if not isinstance(node, dict) or not node.get("_target_"):
        raise ConfigError(
            "estimator.model needs a _target_: mlp, cnn, lenet or a class path like mypkg.models.Net"
        )
    kwargs = dict(node)
    target = str(kwargs.pop("_target_"))
    return ALIASES.get(target, target), kwargs


def check_importable(target: str) -> None:
    """The model's module can be found (not imported: a user's module imports torch)."""
    if target in ALIASES.values():
        return
    module, _, name = target.rpartition(".")
    if not module or not name:
        raise ConfigError(
            f"estimator.model._target_ '{target}' is not a class path; use mlp, cnn, lenet "
            "or package.module.ClassName"
        )
    try:
        found = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        found = None
    if found is None:
        raise ConfigError(
            f"estimator.model._target_: cannot find module '{module}' "
            "(put its folder on PYTHONPATH or install its package)"
        )


def check_data(data: Any) -> None:
    fmt = getattr(data.format, "value", data.format)  # an Enum in the composed config
    path = data.path
    test_size = float(data.test_size)
    if not 0.0 < test_size < 1.0:
        raise ConfigError(f"estimator.data.test_size must be between 0 and 1, got {test_size}")
    if fmt == "imagefolder":
        check_imagefolder(path)
        return
    from harness import datasets

    datasets.check(fmt, None if path is None else str(path))


def imagefolder_splits(root: Path) -> tuple[Path, Path | None]:
    """(train folder, validation folder or None to split train by test_size)."""
    for val_name in ("val", "test", "valid", "validation"):
        if (root / "train").is_dir() and (root / val_name).is_dir():
            return root / "train", root / val_name
    return root, None


def check_imagefolder(path: Any) -> None:
    expected = "expected one sub-folder of images per class (optionally inside train/ and val/)"
    if not path:
        raise ConfigError("estimator.data.format=imagefolder needs estimator.data.path=FOLDER")
    root = Path(str(path)).expanduser()
    if not root.is_dir():
        raise ConfigError(f"data path '{root}' is not a folder ({expected})")
    train, val = imagefolder_splits(root)
    for folder in (train, val):
        if folder is None:
            continue
        classes = [d for d in folder.iterdir() if d.is_dir() and not d.name.startswith(".")]
        with_images = [
            d for d in classes if any(f.suffix.lower() in IMAGE_SUFFIXES for f in d.iterdir())
        ]
        if len(with_images) < 2:
            raise ConfigError(
                f"{folder}: found {len(with_images)} class folder(s) with images ({expected}, "
                "at least two classes)"
            )


def resolve_checkpoint(resume: str) -> Path:
    """A checkpoint file, or the last checkpoint of the run ``resume`` names."""
    candidate = Path(resume).expanduser()
    if candidate.is_file():
        return candidate.resolve()
    if candidate.is_dir():
        folder = candidate / CHECKPOINT_DIR if (candidate / CHECKPOINT_DIR).is_dir() else candidate
        folder = (
            folder if any(folder.glob(CHECKPOINT_GLOB)) else candidate / "outputs" / CHECKPOINT_DIR
        )
    else:
        from harness.contract.records import get_run

        try:
            record = get_run(resume)
        except NotFoundError:
            raise ConfigError(
                f"resume={resume}: no such run id or checkpoint file (see `harness runs list`)"
            ) from None
        assert record.path is not None
        folder = record.path / "outputs" / CHECKPOINT_DIR
    found = sorted(folder.glob(CHECKPOINT_GLOB))
    if not found:
        raise ConfigError(f"resume={resume}: no checkpoint ({CHECKPOINT_GLOB}) in {folder}")
    return found[-1].resolve()
