"""The GPU path against the best plain PyTorch loops, and one rank per GPU under MPI.

Target (issue 18): the ``pytorch`` estimator's epoch (training + validation) takes
at most 1.02x the plain loop that keeps the data set on the GPU and batches by
index, when the data set fits there; and at most 1.02x the plain DataLoader loop
(CPU tensors, pinned memory) when it does not (``estimator.data_on_device=false``).
Measured for LeNet (the PyTorch CIFAR-10 tutorial's net) on CIFAR-10-format data
(50,000 + 10,000 images, written here: nothing downloads), at batch 64 and 512, in
fp32 and bf16 autocast, plus ``estimator.compile=true`` (its own figure).

All sides run in this one process, their epochs alternated (so load and clocks
hit them alike), each with its own model, optimizer (SGD, momentum 0.9) and data
copy. The harness side is the estimator's own ``Trainer`` (a live ``harness.Run``,
per-epoch checkpoint and metrics included), built from the config
``harness train`` composes. Per side: every epoch's time; the figure is the median
of the epochs after the first (the first pays cuDNN autotuning, compilation and
allocator warm-up).

Then the MPI checks, through the real ``harness train`` command: more local ranks
than GPUs is refused before launch (exit 2, one line); with two or more GPUs two
ranks train with NCCL and each names its own GPU; on one GPU two ranks share it
under ``estimator.backend=gloo``.

Without CUDA it runs the same code on the CPU at toy size (what CI checks), and the
MPI refusal with ``CUDA_VISIBLE_DEVICES=0`` standing in for one GPU.

    python benchmarks/bench_gpu.py                 # full: < 5 min on an H200
    python benchmarks/bench_gpu.py --quick         # toy size (CPU fallback, CI)
    python benchmarks/bench_gpu.py --out gpu.json  # the figures also as their own file
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import parser, record, train

CLAIM = "gpu"
BUDGET_S = 270  # the whole script, full size, stays under 5 minutes


def harness_command() -> list[str]:
    found = shutil.which("harness")
    beside = Path(sys.executable).with_name("harness")
    if beside.exists():
        return [str(beside)]
    return [found] if found else [sys.executable, "-m", "harness"]


# -- the plain loops ---------------------------------------------------------
class PlainLoop:
    """A hand-written loop: ``resident`` keeps the data on the device and batches
    by index; otherwise a DataLoader over CPU tensors with pinned memory."""

    def __init__(self, arrays: Any, batch: int, device: Any, bf16: bool, resident: bool) -> None:
        import torch
        from torch.utils.data import DataLoader, TensorDataset

        from harness.plugins.pytorch.models import LeNet

        torch.manual_seed(0)
        self.torch, self.device, self.batch, self.resident = torch, device, batch, resident
        x_train, y_train = torch.from_numpy(arrays.x_train), torch.from_numpy(arrays.y_train)
        x_val, y_val = torch.from_numpy(arrays.x_test), torch.from_numpy(arrays.y_test)
        self.model = LeNet(arrays.shape, arrays.num_classes).to(device)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.01, momentum=0.9)
        self.autocast = (
            (lambda: torch.autocast(device.type, dtype=torch.bfloat16))
            if bf16
            else contextlib.nullcontext
        )
        if resident:
            self.data = [t.to(device) for t in (x_train, y_train, x_val, y_val)]
        else:
            pin = device.type == "cuda"
            self.train_loader = DataLoader(
                TensorDataset(x_train, y_train), batch_size=batch, shuffle=True, pin_memory=pin
            )
            self.val_loader = DataLoader(
                TensorDataset(x_val, y_val), batch_size=batch, pin_memory=pin
            )

    def _train_batches(self):
        if not self.resident:
            for x, y in self.train_loader:
                yield x.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True)
            return
        x, y = self.data[0], self.data[1]
        order = self.torch.randperm(len(y), device=self.device)
        for start in range(0, len(y), self.batch):
            index = order[start : start + self.batch]
            yield x[index], y[index]

    def _val_batches(self):
        if not self.resident:
            for x, y in self.val_loader:
                yield x.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True)
            return
        x, y = self.data[2], self.data[3]
        for start in range(0, len(y), self.batch):
            yield x[start : start + self.batch], y[start : start + self.batch]

    def epoch(self, _epoch: int) -> None:
        torch, model, optimizer = self.torch, self.model, self.optimizer
        functional = torch.nn.functional
        model.train()
        losses = []
        for x, y in self._train_batches():
            optimizer.zero_grad(set_to_none=True)
            with self.autocast():
                loss = functional.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.detach())
        model.eval()
        correct = torch.zeros((), dtype=torch.int64, device=self.device)
        with torch.no_grad():
            for x, y in self._val_batches():
                with self.autocast():
                    correct += (model(x).argmax(dim=1) == y).sum()
        torch.stack(losses).float().mean().item()
        correct.item()


# -- the harness side ----------------------------------------------------------
class HarnessSide:
    """The estimator's own Trainer in this process, from the composed config."""

    def __init__(self, params: dict[str, Any], home: Path, **estimator: Any) -> None:
        from harness.contract.context import Run
        from harness.contract.jobspec import JobSpec
        from harness.plugins.pytorch.trainer import Trainer
        from harness.run.store import RunStore

        params = json.loads(json.dumps(params))
        params["estimator"].update(estimator)
        created = RunStore(home).create(
            experiment="bench-gpu", estimator="pytorch", compute="local", params=params
        )
        spec = JobSpec(
            created.id, str(created.path), "bench-gpu", "pytorch", "local", params=params
        )
        self.run = Run(spec)
        with contextlib.redirect_stdout(io.StringIO()):
            self.trainer = Trainer(self.run)
        self.resident = self.trainer.resident

    def epoch(self, epoch: int) -> None:
        self.trainer.run_epoch(epoch)

    def close(self) -> None:
        self.run.close()


def compose(data: Path, batch: int, epochs: int, home: Path) -> dict[str, Any]:
    """The job's params exactly as ``harness train`` composes them."""
    import yaml

    overrides = [
        "+estimator=pytorch",
        "estimator.model._target_=lenet",
        "estimator.data.format=cifar10",
        f"estimator.data.path={data}",
        "estimator.optimizer=sgd",
        "lr=0.01",
        f"batch_size={batch}",
        f"epochs={epochs}",
    ]
    env = {**os.environ, "HARNESS_HOME": str(home)}
    out = subprocess.run(
        [*harness_command(), "train", *overrides, "--cfg", "job", "--resolve"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return yaml.safe_load(out.stdout)


def timed_epochs(sides: dict[str, Any], epochs: int, sync: Callable[[], None]) -> dict:
    times: dict[str, list[float]] = {name: [] for name in sides}
    names = list(sides)
    for epoch in range(epochs):
        order = names if epoch % 2 == 0 else list(reversed(names))
        for name in order:
            sync()
            started = time.perf_counter()
            sides[name].epoch(epoch)
            sync()
            times[name].append(time.perf_counter() - started)
    return times


def figure(samples: list[float]) -> dict[str, Any]:
    steady = samples[1:] or samples
    return {"median_s": statistics.median(steady), "epochs_s": [round(s, 4) for s in samples]}


# -- MPI: one rank per GPU -------------------------------------------------------
def mpi_checks(gpus: int, home: Path, data_args: list[str], deadline: float) -> dict[str, Any]:
    env = {
        **os.environ,
        "HARNESS_HOME": str(home),
        "OMPI_ALLOW_RUN_AS_ROOT": "1",
        "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
    }
    base = [*harness_command(), "train", "+estimator=pytorch", "compute=mpi", *data_args]
    results: dict[str, Any] = {"gpus": gpus}
    refuse_env = env if gpus else {**env, "CUDA_VISIBLE_DEVICES": "0"}  # stand-in GPU
    too_many = (gpus or 1) + 1
    refused, refused_run = train([*base, f"compute.process_count_per_node={too_many}"], refuse_env)
    lines = [ln for ln in refused.stderr.splitlines() if ln.strip()]
    results["more_ranks_than_gpus"] = {
        "ranks": too_many,
        "exit_code": refused.returncode,
        "message": lines[-1] if lines else "",
        "one_line": len(lines) == 1,
        "launched": refused_run is not None,
        "ok": refused.returncode == 2 and len(lines) == 1 and refused_run is None,
    }

    def two_ranks(*extra: str) -> dict[str, Any]:
        if time.perf_counter() > deadline:
            return {"skipped": "time budget"}
        started = time.perf_counter()
        done, run_id = train([*base, "compute.process_count_per_node=2", "epochs=1", *extra], env)
        devices = []
        if run_id:
            for rank in (0, 1):
                log = home / "runs" / run_id / "logs" / f"rank_{rank}.txt"
                text = log.read_text() if log.exists() else ""
                devices += [w.rstrip(",") for w in text.split() if w.startswith("cuda:")][:1]
        return {
            "exit_code": done.returncode,
            "seconds": round(time.perf_counter() - started, 2),
            "devices": devices,
            "tail": (done.stdout + done.stderr)[-300:] if done.returncode else "",
        }

    if gpus >= 2:
        results["nccl_two_ranks"] = nccl = two_ranks("estimator.device=cuda")
        nccl["one_gpu_per_rank"] = len(set(nccl.get("devices", []))) == 2
    else:
        results["nccl_two_ranks"] = {"skipped": f"{gpus} GPU(s): needs 2"}
    if gpus >= 1:
        results["gloo_two_ranks_share"] = two_ranks("estimator.backend=gloo")
    else:
        results["gloo_two_ranks_share"] = {"skipped": "no GPU"}
    return results


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, help="also write the figures to this JSON file")
    p.add_argument("--epochs", type=int, default=None, help="epochs per side (default 3)")
    p.add_argument("--no-mpi", action="store_true", help="leave out the MPI checks")
    args = p.parse_args()
    started = time.perf_counter()

    import torch

    from harness.datasets import load_cifar10
    from harness.datasets.synthetic import write_cifar10

    cuda = torch.cuda.is_available()
    quick = args.quick or not cuda
    device = torch.device("cuda" if cuda else "cpu")
    epochs = args.epochs or (2 if quick else 3)
    per_batch, n_val = (64, 64) if quick else (10_000, 10_000)
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    # The 5-minute budget is the GPU run's; the toy run always does everything.
    deadline = started + BUDGET_S if not quick else float("inf")
    cpu_threads: dict[str, Any] = {}
    if not cuda:  # one thread per side: a CI machine's few cores are shared
        torch.set_num_threads(1)
        cpu_threads = {"threads": 1}

    work = Path(tempfile.mkdtemp(prefix="harness-bench-gpu-"))
    home = work / "home"
    os.environ["HARNESS_HOME"] = str(home)
    figures: dict[str, Any] = {
        "device": torch.cuda.get_device_name(0) if cuda else "cpu",
        "torch": torch.__version__,
        "size": "toy (CPU fallback or --quick)" if quick else "CIFAR-10 size",
        "n_train": per_batch * 5,
        "n_val": n_val,
        "epochs_per_side": epochs,
        "configs": {},
    }
    try:
        data = write_cifar10(work / "data", n_per_batch=per_batch, n_test=n_val)
        arrays = load_cifar10(data)
        for batch in (64, 512):
            params = compose(data, batch, epochs, home)
            for precision in ("fp32", "bf16"):
                key = f"batch{batch}_{precision}"
                if time.perf_counter() > deadline:
                    figures["configs"][key] = {"skipped": "time budget"}
                    continue
                bf16 = precision == "bf16"
                harness = HarnessSide(params, home, amp=bf16, **cpu_threads)
                harness_dl = HarnessSide(
                    params, home, amp=bf16, data_on_device=False, **cpu_threads
                )
                sides = {
                    "plain_resident": PlainLoop(arrays, batch, device, bf16, resident=True),
                    "plain_dataloader": PlainLoop(arrays, batch, device, bf16, resident=False),
                    "harness": harness,
                    "harness_data_on_device_false": harness_dl,
                }
                times = timed_epochs(sides, epochs, sync)
                harness.close()
                harness_dl.close()
                entry = {name: figure(t) for name, t in times.items()}
                median = {name: entry[name]["median_s"] for name in entry}
                entry["harness_resident"] = harness.resident
                entry["ratio_harness_to_plain_resident"] = round(
                    median["harness"] / median["plain_resident"], 3
                )
                entry["ratio_dataloader_paths"] = round(
                    median["harness_data_on_device_false"] / median["plain_dataloader"], 3
                )
                if quick:
                    entry["harness_compile"] = {"skipped": "toy size (compilation dominates)"}
                elif precision == "fp32" and time.perf_counter() < deadline - 60:
                    try:
                        compiled = HarnessSide(params, home, compile=True)
                        compile_times = timed_epochs({"c": compiled}, epochs, sync)["c"]
                        compiled.close()
                        entry["harness_compile"] = figure(compile_times)
                        entry["ratio_compile_to_plain_resident"] = round(
                            entry["harness_compile"]["median_s"] / median["plain_resident"], 3
                        )
                    except Exception as exc:  # no compiler toolchain: report, go on
                        entry["harness_compile"] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
                figures["configs"][key] = entry
                del sides, harness, harness_dl
                if cuda:
                    torch.cuda.empty_cache()
        if not args.no_mpi:
            data_args = [
                "estimator.data.format=cifar10",
                f"estimator.data.path={data}",
                "estimator.model._target_=lenet",
                "batch_size=256",
            ]
            figures["mpi"] = mpi_checks(
                torch.cuda.device_count() if cuda else 0, home, data_args, deadline
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    figures["seconds"] = round(time.perf_counter() - started, 1)
    if args.out:
        args.out.write_text(json.dumps(figures, indent=2) + "\n")
    record(args.results, CLAIM, figures, quick)


if __name__ == "__main__":
    main()
