"""Datasets for the ``pytorch`` estimator as torch ``Dataset`` pairs (train, val).

digits, MNIST IDX and CIFAR-10 batches come from the shared numpy readers in
``harness.datasets`` (nothing downloads); image folders are torchvision's
``ImageFolder``. Every loader is fed with a seeded ``torch.Generator``, so the
order of samples is a function of ``seed`` and the epoch only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler, Subset, TensorDataset

from harness.plugins.pytorch.checks import imagefolder_splits


@dataclass
class Data:
    train: Dataset
    val: Dataset
    in_shape: tuple[int, ...]
    num_classes: int


def load(data_cfg: Any, seed: int) -> Data:
    fmt = str(data_cfg.format)
    path = data_cfg.path
    test_size = float(data_cfg.test_size)
    if fmt == "imagefolder":
        return _imagefolder(Path(str(path)).expanduser(), int(data_cfg.image_size), test_size, seed)
    from harness import datasets

    arrays = datasets.load(fmt, None if path is None else str(path), test_size=test_size, seed=seed)
    train = TensorDataset(torch.from_numpy(arrays.x_train), torch.from_numpy(arrays.y_train))
    val = TensorDataset(torch.from_numpy(arrays.x_test), torch.from_numpy(arrays.y_test))
    return Data(train, val, arrays.shape, arrays.num_classes)


def _imagefolder(root: Path, size: int, test_size: float, seed: int) -> Data:
    from torchvision import datasets, transforms

    transform = transforms.Compose([transforms.Resize((size, size)), transforms.ToTensor()])
    train_root, val_root = imagefolder_splits(root)
    train = datasets.ImageFolder(str(train_root), transform=transform)
    if val_root is not None:
        val = datasets.ImageFolder(str(val_root), transform=transform)
        if val.classes != train.classes:
            raise ValueError(
                f"{val_root} has classes {val.classes}, {train_root} has {train.classes}"
            )
        return Data(train, val, (3, size, size), len(train.classes))
    order = torch.randperm(len(train), generator=torch.Generator().manual_seed(seed)).tolist()
    n_val = max(1, round(len(order) * test_size))
    return Data(
        Subset(train, order[n_val:]),
        Subset(train, order[:n_val]),
        (3, size, size),
        len(train.classes),
    )


def train_loader(
    dataset: Dataset,
    batch_size: int,
    seed: int,
    rank: int,
    world_size: int,
    num_workers: int,
    pin: bool,
) -> tuple[DataLoader, torch.Generator, DistributedSampler | None]:
    """Shuffled batches; one shard per rank when distributed (call sampler.set_epoch)."""
    generator = torch.Generator().manual_seed(seed)
    sampler: DistributedSampler | None = None
    if world_size > 1:
        sampler = DistributedSampler(
            dataset, num_replicas=world_size, rank=rank, shuffle=True, seed=seed
        )
    loader = DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=sampler is None,
        sampler=sampler,
        generator=generator,
        num_workers=num_workers,
        pin_memory=pin,
    )
    return loader, generator, sampler


def val_loader(
    dataset: Dataset, batch_size: int, rank: int, world_size: int, num_workers: int, pin: bool
) -> DataLoader:
    """In order; each rank takes every world_size-th sample (no padding, so the
    summed counts are exact after an all-reduce)."""
    if world_size > 1:
        dataset = Subset(dataset, list(range(rank, len(dataset), world_size)))  # type: ignore[arg-type]
    return DataLoader(
        dataset, batch_size=batch_size, shuffle=False, num_workers=num_workers, pin_memory=pin
    )
