"""The baseline of bench_pytorch_overhead.py: a plain PyTorch training loop.

Written the usual way (DataLoader, zero_grad / forward / backward / step, an
accuracy pass per epoch), kept lean (no per-step ``.item()``), with the same data,
model class, seed, optimizer, thread count and determinism setting as the
``pytorch`` estimator. Prints one JSON line: the per-epoch wall and CPU times and accuracies.

    python plain_pytorch_loop.py MNIST_FOLDER --epochs 3 --batch-size 64 --lr 0.05
"""

from __future__ import annotations

import argparse
import json
import time

import torch
import torch.nn.functional as F
from harness_pytorch.models import LeNet
from torch.utils.data import DataLoader, TensorDataset

from harness.datasets import load_mnist


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
    torch.manual_seed(args.seed)
    from pathlib import Path

    data = load_mnist(Path(args.data))
    train_set = TensorDataset(torch.from_numpy(data.x_train), torch.from_numpy(data.y_train))
    val_set = TensorDataset(torch.from_numpy(data.x_test), torch.from_numpy(data.y_test))
    model = LeNet(data.shape, data.num_classes)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    train_loader = DataLoader(
        train_set,
        batch_size=args.batch_size,
        shuffle=True,
        generator=torch.Generator().manual_seed(args.seed),
    )
    val_loader = DataLoader(val_set, batch_size=args.batch_size)

    epoch_times, epoch_cpu_times, accuracies = [], [], []
    for _ in range(args.epochs):
        started, cpu_started = time.perf_counter(), time.process_time()
        model.train()
        losses = []
        for x, y in train_loader:
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.detach())
        model.eval()
        correct = total = 0
        with torch.no_grad():
            for x, y in val_loader:
                correct += int((model(x).argmax(dim=1) == y).sum())
                total += len(y)
        epoch_times.append(time.perf_counter() - started)
        epoch_cpu_times.append(time.process_time() - cpu_started)
        accuracies.append(correct / total)
        print(f"epoch loss {torch.stack(losses).mean().item():.4f} accuracy {correct / total:.4f}")
    print(
        json.dumps(
            {"epoch_times": epoch_times, "epoch_cpu_times": epoch_cpu_times, "accuracy": accuracies}
        )
    )


if __name__ == "__main__":
    main()
