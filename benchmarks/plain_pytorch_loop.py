"""The baseline of bench_pytorch_overhead.py: a plain PyTorch training loop.

Written the usual way (DataLoader, zero_grad / forward / backward / step, an
accuracy pass per epoch), kept lean (no per-step ``.item()``), with the same data,
model class, seed, optimizer, thread count and determinism setting as the
``pytorch`` estimator. As a script it prints one JSON line: the per-epoch wall and
CPU times and accuracies. The benchmark also imports ``PlainLoop`` to alternate
its epochs with the estimator's inside one process.

    python plain_pytorch_loop.py MNIST_FOLDER --epochs 3 --batch-size 64 --lr 0.05
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from harness.datasets import load_mnist
from harness.plugins.pytorch.models import LeNet


class PlainLoop:
    def __init__(self, folder: Path, batch_size: int, lr: float, seed: int) -> None:
        torch.manual_seed(seed)
        data = load_mnist(folder)
        train_set = TensorDataset(torch.from_numpy(data.x_train), torch.from_numpy(data.y_train))
        val_set = TensorDataset(torch.from_numpy(data.x_test), torch.from_numpy(data.y_test))
        self.model = LeNet(data.shape, data.num_classes)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=lr, momentum=0.9)
        self.train_loader = DataLoader(
            train_set,
            batch_size=batch_size,
            shuffle=True,
            generator=torch.Generator().manual_seed(seed),
        )
        self.val_loader = DataLoader(val_set, batch_size=batch_size)

    def epoch(self) -> tuple[float, float]:
        """One epoch: (mean training loss, validation accuracy)."""
        model, optimizer = self.model, self.optimizer
        model.train()
        losses = []
        for x, y in self.train_loader:
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.detach())
        model.eval()
        correct = total = 0
        with torch.no_grad():
            for x, y in self.val_loader:
                correct += int((model(x).argmax(dim=1) == y).sum())
                total += len(y)
        return torch.stack(losses).mean().item(), correct / total


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("data")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(args.threads)
    plain = PlainLoop(Path(args.data), args.batch_size, args.lr, args.seed)
    epoch_times, epoch_cpu_times, accuracies = [], [], []
    for _ in range(args.epochs):
        started, cpu_started = time.perf_counter(), time.process_time()
        loss, accuracy = plain.epoch()
        epoch_times.append(time.perf_counter() - started)
        epoch_cpu_times.append(time.process_time() - cpu_started)
        accuracies.append(accuracy)
        print(f"epoch loss {loss:.4f} accuracy {accuracy:.4f}")
    print(
        json.dumps(
            {"epoch_times": epoch_times, "epoch_cpu_times": epoch_cpu_times, "accuracy": accuracies}
        )
    )


if __name__ == "__main__":
    main()
