"""Driver-side checks of the ``pytorch`` estimator's config, without importing torch.

``PyTorchEstimator.validate`` runs these before the run record exists, so every
mistake here is one line and exit code 2 with nothing written.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from harness.errors import ConfigError, NotFoundError

ALIASES = {
    "mlp": "harness.plugins.pytorch.models.MLP",
    "cnn": "harness.plugins.pytorch.models.SmallCNN",
    "lenet": "harness.plugins.pytorch.models.LeNet",
}
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
    target, _ = model_spec(est.model)
    check_importable(target)
    check_data(est.data)
    if config.get("resume"):
        resolve_checkpoint(str(config.resume))


def _positive(key: str, value: Any, kind: type) -> None:
    if value is None or not isinstance(value, (int, float)) or value <= 0:
        raise ConfigError(f"{key} must be a positive {kind.__name__}, got {value!r}")


def check_device(device: str) -> None:
    if device in ("auto", "cpu", "mps"):
        return
    if device == "cuda" or device.startswith("cuda:"):
        import torch  # only when CUDA was asked for by name

        if not torch.cuda.is_available():
            raise ConfigError(
                f"estimator.device={device} but no CUDA device is available; use device=auto or cpu"
            )
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
        from harness.run.store import RunStore

        try:
            record = RunStore().get(resume)
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
