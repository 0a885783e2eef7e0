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
from harness.plugins.pytorch import checkpoints, checks, data, distributed, loop
from harness.plugins.pytorch.models import build_model

from harness import envvars


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


def make_optimizer(name: str, params: Any, lr: float, momentum: float, weight_decay: float) -> Any:
    name = name.lower()
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)


def configure_threads(setting: Any, device: Any) -> None:
    """``auto`` keeps torch's default for one process; several ranks on one machine
    share its cores, since one OpenMP pool per rank over all cores oversubscribes them
    (a tiny model trained 40x slower that way on 2 busy cores)."""
    if setting not in (None, "auto"):
        torch.set_num_threads(int(setting))
        return
    local_size = envvars.first_int(envvars.LOCAL_SIZE_VARS, 1)
    if device.type == "cpu" and local_size > 1:
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // local_size))


def configure_determinism(enabled: bool, device: Any) -> None:
    if not enabled:
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
        configure_determinism(bool(est.deterministic), device)
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
        autocast, self.scaler, self.amp_note = loop.amp_settings(
            bool(est.amp), device
        )
        self.settings = loop.StepSettings(
            device, int(est.log_every), autocast, self.scaler, channels_last
        )
        workers, pin = int(est.num_workers), device.type == "cuda"
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

        self.trained = model
        if self.world > 1:
            distributed.init(run, device)
            ids = [device.index] if device.type == "cuda" else None
            self.trained = torch.nn.parallel.DistributedDataParallel(model, device_ids=ids)
        self.checkpoint_dir = run.outputs_dir / checks.CHECKPOINT_DIR
        self.keep_checkpoints = int(est.keep_checkpoints)

    def describe(self) -> None:
        d, n_params = self.dataset, sum(p.numel() for p in self.model.parameters())
        print(
            f"pytorch: {type(self.model).__name__} ({n_params:,} parameters) on "
            f"{self.est.data.format} ({len(d.train)} train / {len(d.val)} val, shape {d.in_shape}), "
            f"device {self.device}, threads {torch.get_num_threads()}, ranks {self.world}, "
            f"global batch {self.batch_size * self.world}, amp {self.amp_note}",
            flush=True,
        )

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
            list(loop.evaluate(self.model, self.val_loader, self.settings)), device
        )
        train_loss, seen = distributed.all_sum([train_loss, float(seen)], device)
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
        run.log("samples_per_s", seen / train_time, step=epoch)
        if device.type == "cuda":  # the GPU column of `harness bench`
            run.log("gpu_peak_mb", torch.cuda.max_memory_allocated(device) / 2**20, step=epoch)

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
