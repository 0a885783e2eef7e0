"""PyTorch training through the harness against a plain PyTorch loop.

Same data (MNIST-format IDX files written here), model (LeNet), seed, optimizer
(SGD, momentum 0.9), batch size, epochs, one CPU thread, deterministic algorithms.
Side A: `harness train +estimator=pytorch ...` (its logged `epoch_time`: training,
validation and the per-epoch checkpoint write). Side B: `plain_pytorch_loop.py`
(training and validation per epoch). Alternated, several rounds, in one run.

Claim: median per-epoch time ratio harness / plain ≤ 1.02 (Lightning's parity bar).

Two measurements:
- `processes`: the real commands, alternated round by round; per-epoch wall and CPU
  seconds (process_time, every thread, so the metrics flusher counts), and the whole
  command's wall time (start-up, data loading, everything) separately.
- `in_process`: the estimator's own `Trainer.run_epoch` (a live `harness.Run` with the
  console logger, checkpoints, every `run.log`) and the plain loop's epoch, alternated
  epoch by epoch inside one process. A busy shared machine (other jobs come and go
  within seconds) disturbs whole-command rounds far more than this pairing.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml
from _common import HERE, alternate, parser, record, scratch_dir, stats, train

from harness.datasets.synthetic import write_mnist
from harness.run import metrics


def _ratio(samples: dict[str, list[float]], pick) -> float:
    return pick(samples["harness"]) / pick(samples["plain"])


def in_process(
    harness_exe: str, env: dict[str, str], data: Path, home: Path, common: dict, epochs: int
) -> dict:
    """The estimator's epochs and the plain loop's, alternated in this process."""
    import torch
    from plain_pytorch_loop import PlainLoop

    from harness.contract.context import Run
    from harness.contract.jobspec import JobSpec
    from harness.plugins.pytorch.trainer import Trainer
    from harness.run.store import RunStore

    overrides = [*_harness_overrides(data, common), f"epochs={epochs}"]
    composed = subprocess.run(
        [harness_exe, "train", *overrides, "--cfg", "job", "--resolve"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    params = yaml.safe_load(composed.stdout)
    record_ = RunStore(home).create(
        experiment="bench", estimator="pytorch", compute="local", params=params
    )
    spec = JobSpec(
        record_.id,
        str(record_.path),
        "bench",
        "pytorch",
        "local",
        params=params,
        loggers={"console": {"interval": 2.0, "progress": True}},
    )
    run = Run(spec)
    wall: dict[str, list[float]] = {"harness": [], "plain": []}
    cpu: dict[str, list[float]] = {"harness": [], "plain": []}
    with contextlib.redirect_stdout(io.StringIO()):  # the console logger's lines
        trainer = Trainer(run)  # sets threads=1 and deterministic algorithms, as the CLI run
        plain = PlainLoop(data, int(common["batch_size"]), float(common["lr"]), int(common["seed"]))
        sides = {"harness": lambda e: trainer.run_epoch(e), "plain": lambda e: plain.epoch()}
        for epoch in range(epochs):
            order = ["harness", "plain"] if epoch % 2 == 0 else ["plain", "harness"]
            for side in order:
                started, cpu_started = time.perf_counter(), time.process_time()
                sides[side](epoch)
                wall[side].append(time.perf_counter() - started)
                cpu[side].append(time.process_time() - cpu_started)
        run.close()
    return {
        "epochs_per_side": epochs,
        "threads": torch.get_num_threads(),
        "epoch_time_s": {side: stats(v) for side, v in wall.items()},
        "epoch_time_ratio": _ratio(wall, statistics.median),
        "epoch_cpu_time_s": {side: stats(v) for side, v in cpu.items()},
        "epoch_cpu_time_ratio": _ratio(cpu, statistics.median),
    }


def _harness_overrides(data: Path, common: dict) -> list[str]:
    return [
        "+estimator=pytorch",
        "estimator.model=lenet",
        "estimator.data.format=mnist",
        f"estimator.data.path={data}",
        "estimator.threads=1",
        *(f"{k}={v}" for k, v in common.items() if k != "epochs"),
    ]


def main() -> None:
    opts = parser(__doc__).parse_args()
    n_train, n_test, epochs, repeats, paired = (
        (600, 200, 2, 1, 4) if opts.quick else (6000, 1000, 3, 5, 16)
    )
    work = scratch_dir("bench-pytorch-")
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
        proc, run_id = train(
            [harness_exe, "train", *_harness_overrides(data, common), f"epochs={epochs}"], env
        )
        wall["harness"].append(time.perf_counter() - started)
        if proc.returncode != 0 or run_id is None:
            raise SystemExit(f"harness train failed:\n{proc.stdout}\n{proc.stderr}")
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
    processes = {
        "epoch_time_s": {side: stats(values) for side, values in epoch_times.items()},
        "epoch_time_ratio": _ratio(epoch_times, statistics.median),
        "epoch_time_ratio_per_round": stats(per_round),
        "epoch_cpu_time_s": {side: stats(values) for side, values in epoch_cpu.items()},
        "epoch_cpu_time_ratio": _ratio(epoch_cpu, statistics.median),
        "wall_time_s": {side: stats(values) for side, values in wall.items()},
        "wall_time_ratio": _ratio(wall, statistics.median),
        "final_accuracy": accuracy,
    }
    figures = {
        "setup": {
            "model": "LeNet",
            "data": f"MNIST-format IDX, {n_train} train / {n_test} val",
            "epochs_per_command": epochs,
            "rounds": repeats,
            "threads": 1,
            **{k: v for k, v in common.items() if k != "epochs"},
        },
        "processes": processes,
        "in_process": in_process(harness_exe, env, data, home, common, paired),
        "target_epoch_time_ratio": 1.02,
    }
    record(opts.results, "pytorch_overhead", figures, opts.quick)


if __name__ == "__main__":
    main()
