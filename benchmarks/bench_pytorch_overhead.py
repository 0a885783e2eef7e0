"""PyTorch training through the harness against a plain PyTorch loop.

Same data (MNIST-format IDX files written here), model (LeNet), seed, optimizer
(SGD, momentum 0.9), batch size, epochs, one CPU thread, deterministic algorithms.
Side A: `harness train +estimator=pytorch ...` (its logged `epoch_time`: training,
validation and the per-epoch checkpoint write). Side B: `plain_pytorch_loop.py`
(training and validation per epoch). Alternated, several rounds, in one run.

Claim: median per-epoch time ratio harness / plain ≤ 1.02 (Lightning's parity bar).
Also reported: the ratio of the fastest epochs, and the same two ratios for the CPU
seconds each epoch used (process_time, every thread: the harness's metrics flusher
counts), which a busy shared machine disturbs far less than wall time.
Wall time per command (start-up, data loading, everything) is reported separately.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import HERE, alternate, parser, record, stats

from harness.run import metrics
from harness.testing.datasets import write_mnist


def _ratio(samples: dict[str, list[float]], pick) -> float:
    return pick(samples["harness"]) / pick(samples["plain"])


def main() -> None:
    opts = parser(__doc__).parse_args()
    n_train, n_test, epochs, repeats = (600, 200, 2, 2) if opts.quick else (6000, 1000, 3, 5)
    work = Path(tempfile.mkdtemp(prefix="bench-pytorch-"))
    data = write_mnist(work / "mnist", n_train=n_train, n_test=n_test)
    home = work / "home"
    harness_exe = str(Path(sys.executable).with_name("harness"))
    env = {**os.environ, "HARNESS_HOME": str(home)}
    env.pop("HARNESS_JOB_SPEC", None)
    common = {"epochs": epochs, "batch_size": 64, "lr": 0.05, "seed": 0}
    epoch_times: dict[str, list[float]] = {"harness": [], "plain": []}
    epoch_cpu: dict[str, list[float]] = {"harness": [], "plain": []}
    wall: dict[str, list[float]] = {"harness": [], "plain": []}
    accuracy: dict[str, float] = {}

    def harness_side() -> float:
        started = time.perf_counter()
        proc = subprocess.run(
            [
                harness_exe,
                "train",
                "+estimator=pytorch",
                "estimator.model=lenet",
                "estimator.data.format=mnist",
                f"estimator.data.path={data}",
                "estimator.threads=1",
                *(f"{k}={v}" for k, v in common.items()),
            ],
            capture_output=True,
            text=True,
            env=env,
        )
        wall["harness"].append(time.perf_counter() - started)
        if proc.returncode != 0:
            raise SystemExit(f"harness train failed:\n{proc.stdout}\n{proc.stderr}")
        run_id = next(
            ln.split(":", 1)[1].strip()
            for ln in proc.stdout.splitlines()
            if ln.startswith("run id:")
        )
        history = metrics.history(home / "runs" / run_id)
        times = [point["value"] for point in history["epoch_time"]]
        epoch_times["harness"].extend(times)
        epoch_cpu["harness"].extend(point["value"] for point in history["epoch_cpu_time"])
        accuracy["harness"] = history["accuracy"][-1]["value"]
        return statistics.median(times)

    def plain_side() -> float:
        started = time.perf_counter()
        proc = subprocess.run(
            [
                sys.executable,
                str(HERE / "plain_pytorch_loop.py"),
                str(data),
                f"--epochs={epochs}",
                f"--batch-size={common['batch_size']}",
                f"--lr={common['lr']}",
                f"--seed={common['seed']}",
                "--threads=1",
            ],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        wall["plain"].append(time.perf_counter() - started)
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        epoch_times["plain"].extend(result["epoch_times"])
        epoch_cpu["plain"].extend(result["epoch_cpu_times"])
        accuracy["plain"] = result["accuracy"][-1]
        return statistics.median(result["epoch_times"])

    rounds = alternate({"harness": harness_side, "plain": plain_side}, repeats)
    per_round = [h / p for h, p in zip(rounds["harness"], rounds["plain"], strict=True)]
    figures = {
        "setup": {
            "model": "LeNet",
            "data": f"MNIST-format IDX, {n_train} train / {n_test} val",
            "epochs": epochs,
            "rounds": repeats,
            "threads": 1,
            **common,
        },
        "epoch_time_s": {side: stats(values) for side, values in epoch_times.items()},
        "epoch_time_ratio": _ratio(epoch_times, statistics.median),
        "epoch_time_ratio_of_min": _ratio(epoch_times, min),
        "epoch_cpu_time_s": {side: stats(values) for side, values in epoch_cpu.items()},
        "epoch_cpu_time_ratio": _ratio(epoch_cpu, statistics.median),
        "epoch_cpu_time_ratio_of_min": _ratio(epoch_cpu, min),
        "epoch_time_ratio_per_round": stats(per_round),
        "wall_time_s": {side: stats(values) for side, values in wall.items()},
        "wall_time_ratio": statistics.median(wall["harness"]) / statistics.median(wall["plain"]),
        "final_accuracy": accuracy,
        "target_epoch_time_ratio": 1.02,
    }
    record(opts.results, "pytorch_overhead", figures, opts.quick)


if __name__ == "__main__":
    main()
