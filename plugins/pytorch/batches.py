"""Batches by index from tensors held on the training device.

When the whole data set fits in GPU memory, copying it there once and cutting
each batch with one index operation avoids what a ``DataLoader`` does per batch
(fetch samples one by one, collate them on the CPU, copy host to device). On an
H200 that was 0.22 s against 0.75 s per CIFAR-10 epoch at batch 512.

The order of samples is exactly the ``DataLoader``'s for the same seed: the same
draws are taken from the same ``torch.Generator`` (see ``_draw_order``), so a run
with ``estimator.data_on_device=false`` trains the same model bit for bit on CPU,
and a checkpoint resumes the same way whichever path wrote it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import torch
from torch.utils.data import TensorDataset

#: Share of the device's free memory the data set may take (the rest is the
#: model's, the activations' and the allocator's).
MAX_SHARE_OF_FREE = 0.5


def tensors_of(dataset: Any) -> tuple[torch.Tensor, torch.Tensor] | None:
    """(inputs, labels) when ``dataset`` is an in-memory tensor pair, else None."""
    if isinstance(dataset, TensorDataset) and len(dataset.tensors) == 2:
        return dataset.tensors[0], dataset.tensors[1]
    return None


def fits_on(device: torch.device, nbytes: int) -> bool:
    if device.type != "cuda":
        return True  # CPU: the tensors are in memory already
    free, _total = torch.cuda.mem_get_info(device)
    return nbytes <= MAX_SHARE_OF_FREE * free


def use_resident(setting: Any, train: Any, val: Any, device: torch.device) -> bool:
    """Decide ``estimator.data_on_device`` (auto | true | false) for this job."""
    pairs = [tensors_of(train), tensors_of(val)]
    if setting is False or str(setting).lower() == "false" or None in pairs:
        return False
    tensors = [t for pair in pairs if pair is not None for t in pair]
    nbytes = sum(int(t.element_size()) * int(t.nelement()) for t in tensors)
    if setting is True or str(setting).lower() == "true":
        return True
    return fits_on(device, nbytes)


class ResidentBatches:
    """Shuffled training batches (this rank's shard when distributed)."""

    def __init__(
        self,
        dataset: Any,
        batch_size: int,
        generator: torch.Generator,
        device: torch.device,
        *,
        rank: int = 0,
        world_size: int = 1,
        seed: int = 0,
    ) -> None:
        x, y = tensors_of(dataset)  # type: ignore[misc]
        self.x, self.y = x.to(device), y.to(device)
        self.batch_size, self.generator, self.device = batch_size, generator, device
        self.rank, self.world_size, self.seed = rank, world_size, seed
        self.epoch = 0
        self.n = len(self.y)

    def set_epoch(self, epoch: int) -> None:
        """As ``DistributedSampler.set_epoch``: the shard order depends on it."""
        self.epoch = epoch

    def _draw_order(self) -> torch.Tensor:
        # What DataLoader(shuffle=True, generator=g) draws per epoch: its iterator
        # takes a base seed from g, then RandomSampler takes randperm(n) and, once
        # exhausted, a second randperm(n) for its (empty) remainder.
        # Distributed: the seed draw, then DistributedSampler's own permutation.
        torch.empty((), dtype=torch.int64).random_(generator=self.generator)
        if self.world_size == 1:
            order = torch.randperm(self.n, generator=self.generator)
            torch.randperm(self.n, generator=self.generator)
            return order
        shard = torch.Generator().manual_seed(self.seed + self.epoch)
        order = torch.randperm(self.n, generator=shard)
        total = math.ceil(self.n / self.world_size) * self.world_size
        if total > self.n:  # pad by repeating the start, as DistributedSampler does
            order = torch.cat([order] * math.ceil(total / self.n))[:total]
        return order[self.rank : total : self.world_size]

    def __len__(self) -> int:
        per_rank = math.ceil(self.n / self.world_size)
        return math.ceil(per_rank / self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        order = self._draw_order().to(self.device)
        for start in range(0, len(order), self.batch_size):
            index = order[start : start + self.batch_size]
            yield self.x[index], self.y[index]


class ResidentEval:
    """Validation batches in order; rank r takes every world_size-th sample."""

    def __init__(
        self,
        dataset: Any,
        batch_size: int,
        device: torch.device,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        x, y = tensors_of(dataset)  # type: ignore[misc]
        self.x = x[rank::world_size].to(device)
        self.y = y[rank::world_size].to(device)
        self.batch_size = batch_size

    def __len__(self) -> int:
        return math.ceil(len(self.y) / self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for start in range(0, len(self.y), self.batch_size):
            yield self.x[start : start + self.batch_size], self.y[start : start + self.batch_size]
