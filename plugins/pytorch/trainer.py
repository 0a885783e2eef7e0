"""One training job of the ``pytorch`` estimator, as a ``Trainer`` with one
method per epoch (the benchmark drives the same epochs one at a time).

Metrics (rank 0): ``loss`` every ``log_every`` steps (mean of those steps, on rank
0's shard), and per epoch ``train_loss``, ``val_loss``, ``accuracy`` (validation),
``lr`` (the optimizer's actual value), ``epoch_time`` (the whole epoch: training,
validation and the checkpoint write), ``epoch_cpu_time`` (CPU seconds this process
used meanwhile, all threads) and ``samples_per_s`` (training samples of all ranks
per second of the training pass).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import torch

from harness.contract import envvars
from harness.errors import ConfigError
from harness.plugins.pytorch import batches, checkpoints, checks, data, distributed, loop
from harness.plugins.pytorch.models import build_model


def train(run: Any) -> None:
    try:
        trainer = Trainer(run)
        trainer.describe()
        for epoch in run.progress(range(trainer.epochs), total=trainer.epochs, description="epoch"):
            if epoch >= trainer.start_epoch:  # earlier epochs were done before the resume
                trainer.run_epoch(epoch)
        trainer.finish()
    finally:
        distributed.shutdown()


def pick_device(name: str, local_rank: int) -> Any:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda":
        name = f"cuda:{local_rank % max(1, torch.cuda.device_count())}"
    return torch.device(name)


def check_local_ranks(config: Any) -> None:
    """In the job, with torch: however the ranks were launched (compute=mpi,
    torchrun), NCCL on CUDA needs a GPU of its own for every local rank."""
    est = config.estimator
    device = pick_device(str(est.get("device", "auto")), 0)
    backend = str(est.get("backend", "auto"))
    local_ranks = int(
        os.environ.get("OMPI_COMM_WORLD_LOCAL_SIZE") or os.environ.get("LOCAL_WORLD_SIZE") or 1
    )
    gpus = torch.cuda.device_count()
    if device.type == "cuda" and backend != "gloo" and local_ranks > max(1, gpus):
        raise ConfigError(
            checks.ranks_per_gpu_error(local_ranks, gpus, "the launcher's local size")
        )


def make_optimizer(name: str, params: Any, lr: float, momentum: float, weight_decay: float) -> Any:
    name = name.lower()
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)


#: CPU threads per process of a GPU job under ``threads=auto``.
GPU_JOB_THREADS = 4


def configure_threads(setting: Any, device: Any) -> None:
    """``auto``: on CPU torch's default for one process, and the cores shared out
    among several ranks on one machine, since one OpenMP pool per rank over all
    cores oversubscribes them (a tiny model trained 40x slower that way on 2 busy
    cores). A GPU job needs few CPU threads (launching kernels, a DataLoader's
    collation): torch's default kept all 16 cores of an H200 machine busy, 37.6 CPU
    seconds for a 2.35 s epoch. It gets at most GPU_JOB_THREADS per rank."""
    if setting not in (None, "auto"):
        torch.set_num_threads(int(setting))
        return
    local_size = envvars.first_int(envvars.LOCAL_SIZE_VARS, 1)
    share = max(1, (os.cpu_count() or 1) // local_size)
    if device.type == "cuda":
        torch.set_num_threads(min(GPU_JOB_THREADS, share))
    elif local_size > 1:
        torch.set_num_threads(share)


def deterministic_setting(setting: Any, device: Any) -> bool:
    """``auto``: bit-identical on CPU (the cost there is small), fast on CUDA,
    where deterministic kernels cost 26% of an epoch on an H200 (2.96 s against
    2.35 s at batch 64) and cuDNN's autotuner is off."""
    if str(setting).lower() == "auto":
        return device.type != "cuda"
    return bool(setting)


def configure_determinism(enabled: bool, device: Any) -> None:
    if not enabled:
        if device.type == "cuda":
            # Fixed shapes: let cuDNN pick the fastest convolution once; TF32
            # tensor cores for float32 matmuls (PyTorch's advice for Ampere+).
            torch.backends.cudnn.benchmark = True
            torch.set_float32_matmul_precision("high")
        return
    if device.type == "cuda":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.backends.cudnn.benchmark = False
    # Exact on CPU; on CUDA some kernels have no deterministic version: warn, don't fail.
    torch.use_deterministic_algorithms(True, warn_only=device.type != "cpu")


class Trainer:
    """Everything set up from ``run.params``; ``run_epoch`` trains one epoch."""

    def __init__(self, run: Any) -> None:
        self.run = run
        cfg = run.params
        est = cfg.estimator
        self.est = est
        seed, self.epochs, self.batch_size = int(cfg.seed), int(cfg.epochs), int(cfg.batch_size)
        self.world, self.rank = int(run.world_size), int(run.rank)
        self.device = device = pick_device(str(est.device), int(run.local_rank))
        self.deterministic = deterministic_setting(est.get("deterministic", "auto"), device)
        configure_determinism(self.deterministic, device)
        configure_threads(est.threads, device)
        torch.manual_seed(seed)

        self.dataset = data.load(est.data, seed)
        model = build_model(est.model, self.dataset.in_shape, self.dataset.num_classes).to(device)
        channels_last = bool(est.channels_last)
        if channels_last:
            model = model.to(memory_format=torch.channels_last)
        self.model = model
        self.optimizer = make_optimizer(
            str(est.optimizer),
            model.parameters(),
            float(cfg.lr),
            float(est.momentum),
            float(est.weight_decay),
        )
        autocast, self.scaler, self.amp_note = loop.amp_settings(bool(est.amp), device)
        self.settings = loop.StepSettings(
            device, int(est.log_every), autocast, self.scaler, channels_last
        )
        workers, pin = int(est.num_workers), device.type == "cuda"
        self.resident = batches.use_resident(
            est.get("data_on_device", "auto"), self.dataset.train, self.dataset.val, device
        )
        # Either the data set lives on the device (batches are cut by index), or a
        # DataLoader reads it; the loop takes either.
        self.train_loader: Any
        self.val_loader: Any
        self.sampler: Any
        if self.resident:
            self.generator = torch.Generator().manual_seed(seed)
            self.train_loader = self.sampler = batches.ResidentBatches(
                self.dataset.train,
                self.batch_size,
                self.generator,
                device,
                rank=self.rank,
                world_size=self.world,
                seed=seed,
            )
            self.val_loader = batches.ResidentEval(
                self.dataset.val, self.batch_size, device, self.rank, self.world
            )
        else:
            self.train_loader, self.generator, self.sampler = data.train_loader(
                self.dataset.train, self.batch_size, seed, self.rank, self.world, workers, pin
            )
            self.val_loader = data.val_loader(
                self.dataset.val, self.batch_size, self.rank, self.world, workers, pin
            )

        self.start_epoch, self.step = 0, 0
        if cfg.get("resume"):
            path = checks.resolve_checkpoint(str(cfg.resume))
            self.start_epoch, self.step = checkpoints.restore(
                path,
                model=model,
                optimizer=self.optimizer,
                generator=self.generator,
                scaler=self.scaler,
            )
            print(f"resumed from {path} (epoch {self.start_epoch}, step {self.step})", flush=True)

        # The module trained and the one evaluated: DDP- or compile-wrapped, or the model.
        self.trained: Any = model
        self.evaluated: Any = model
        if self.world > 1:
            distributed.init(run, device, str(est.get("backend", "auto")))
            ids = [device.index] if device.type == "cuda" else None
            self.trained = torch.nn.parallel.DistributedDataParallel(model, device_ids=ids)
        compile_with = est.get("compile", False)
        if compile_with:
            # The checkpoints keep saving self.model: a compiled module shares its
            # parameters, and its state_dict keys would carry an _orig_mod prefix.
            backend = "inductor" if compile_with is True else str(compile_with)
            self.trained = torch.compile(self.trained, backend=backend)
            self.evaluated = (
                torch.compile(model, backend=backend) if self.world > 1 else self.trained
            )
        self.checkpoint_dir = run.outputs_dir / checks.CHECKPOINT_DIR
        self.keep_checkpoints = int(est.keep_checkpoints)

    def describe(self) -> None:
        d, n_params = self.dataset, sum(p.numel() for p in self.model.parameters())
        print(
            f"pytorch: {type(self.model).__name__} ({n_params:,} parameters) on "
            f"{self.est.data.format} ({len(d.train)} train / {len(d.val)} val, shape {d.in_shape}), "  # type: ignore[arg-type]
            f"device {self.device}, threads {torch.get_num_threads()}, ranks {self.world}, "
            f"global batch {self.batch_size * self.world}, amp {self.amp_note}, "
            f"data {'on the device' if self.resident else 'through a DataLoader'}, "
            f"deterministic {self.deterministic}"
            + (f", compiled ({self._compile_note()})" if self.est.get("compile") else ""),
            flush=True,
        )

    def _compile_note(self) -> str:
        backend = self.est.get("compile")
        return "torch.compile, inductor" if backend is True else f"torch.compile, {backend}"

    def _log_loss(self, name: str, value: float, at: int) -> None:
        self.run.log(name, value, step=at)

    def run_epoch(self, epoch: int) -> None:
        """Train, validate, checkpoint (rank 0) and log epoch ``epoch`` (from 0)."""
        run, device, world = self.run, self.device, self.world
        started, cpu_started = time.perf_counter(), time.process_time()
        if self.sampler is not None:
            self.sampler.set_epoch(epoch)
        self.step, train_loss, seen = loop.train_epoch(
            self.trained,
            self.train_loader,
            self.optimizer,
            self.settings,
            self.step,
            self._log_loss,
        )
        train_time = time.perf_counter() - started
        loss_sum, correct, count = distributed.all_sum(
            list(loop.evaluate(self.evaluated, self.val_loader, self.settings)), device
        )
        train_loss, seen_total = distributed.all_sum([train_loss, float(seen)], device)
        if self.rank == 0:
            checkpoints.save(
                self.checkpoint_dir,
                epoch=epoch + 1,
                step=self.step,
                model=self.model,
                optimizer=self.optimizer,
                generator=self.generator,
                scaler=self.scaler,
                keep=self.keep_checkpoints,
            )
        epoch_time = time.perf_counter() - started
        epoch_cpu_time = time.process_time() - cpu_started
        run.log("epoch", epoch + 1, step=epoch)
        run.log("lr", float(self.optimizer.param_groups[0]["lr"]), step=epoch)
        run.log("train_loss", train_loss / world, step=epoch)
        run.log("val_loss", loss_sum / count, step=epoch)
        run.log("accuracy", correct / count, step=epoch)
        run.log("epoch_time", epoch_time, step=epoch)
        run.log("epoch_cpu_time", epoch_cpu_time, step=epoch)
        run.log("samples_per_s", seen_total / train_time, step=epoch)
        if device.type == "cuda":  # the GPU column of `harness bench`
            run.log(
                "system/gpu_peak_mb", torch.cuda.max_memory_allocated(device) / 2**20, step=epoch
            )

    def finish(self) -> None:
        if self.start_epoch >= self.epochs:
            print(
                f"nothing to train: the checkpoint already has {self.start_epoch} of {self.epochs} epochs"
            )
        if self.rank == 0:
            checkpoints.atomic_torch_save(
                self.model.state_dict(), Path(self.run.outputs_dir) / "model.pt"
            )
        if self.world > 1:
            # Every rank prints its model's digest: DDP keeps them identical.
            print(
                f"rank {self.rank}: model digest {distributed.model_digest(self.model)}", flush=True
            )
