"""The ``pytorch`` estimator: train a classifier, checkpoint each epoch, resume.

Metrics (rank 0): ``loss`` every ``log_every`` steps (mean of those steps, on rank
0's shard), and per epoch ``train_loss``, ``val_loss``, ``accuracy`` (validation),
``lr`` (the optimizer's actual value), ``epoch_time`` (the whole epoch: training,
validation and the checkpoint write; ``epoch_cpu_time`` is the CPU seconds this
process used meanwhile, all threads) and ``samples_per_s`` (training samples of
all ranks per second of the training pass).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from harness.components import Estimator
from harness_pytorch import checks


class PyTorchEstimator(Estimator):
    primary_metric = "accuracy"
    goal = "maximize"
    packages = ("torch", "torchvision", "numpy")

    def validate(self, config: Any) -> None:
        checks.validate(config)

    def prepare(self, config: Any, job: Any) -> None:
        # Workers start in the run folder: make relative paths absolute here, and pin
        # `resume` to the checkpoint file it names now (the params then record which).
        job.absolute_path("estimator", "data", "path")
        if config.get("resume"):
            job.params["resume"] = str(checks.resolve_checkpoint(str(config.resume)))
            job.save()

    def primary(self, config: Any) -> tuple[str, str]:
        return "accuracy", "maximize"

    def train(self, run: Any) -> None:
        from harness_pytorch import distributed

        try:
            _train(run)
        finally:
            distributed.shutdown()


def pick_device(name: str, local_rank: int) -> Any:
    import torch

    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda":
        name = f"cuda:{local_rank % max(1, torch.cuda.device_count())}"
    return torch.device(name)


def make_optimizer(name: str, params: Any, lr: float, momentum: float, weight_decay: float) -> Any:
    import torch

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
    import torch

    if setting not in (None, "auto"):
        torch.set_num_threads(int(setting))
        return
    local_size = int(
        os.environ.get("OMPI_COMM_WORLD_LOCAL_SIZE") or os.environ.get("LOCAL_WORLD_SIZE") or 1
    )
    if device.type == "cpu" and local_size > 1:
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // local_size))


def configure_determinism(enabled: bool, device: Any) -> None:
    import torch

    if not enabled:
        return
    if device.type == "cuda":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.backends.cudnn.benchmark = False
    # Exact on CPU; on CUDA some kernels have no deterministic version: warn, don't fail.
    torch.use_deterministic_algorithms(True, warn_only=device.type != "cpu")


def _train(run: Any) -> None:
    import torch

    from harness_pytorch import checkpoints, data, distributed, loop
    from harness_pytorch.models import build_model

    cfg = run.params
    est = cfg.estimator
    seed, epochs, batch_size = int(cfg.seed), int(cfg.epochs), int(cfg.batch_size)
    world, rank = int(run.world_size), int(run.rank)
    device = pick_device(str(est.device), int(run.local_rank))
    configure_determinism(bool(est.get("deterministic", True)), device)
    configure_threads(est.get("threads", "auto"), device)
    torch.manual_seed(seed)

    dataset = data.load(est.data, seed)
    model = build_model(est.model, dataset.in_shape, dataset.num_classes).to(device)
    channels_last = bool(est.get("channels_last", False))
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = make_optimizer(
        str(est.optimizer),
        model.parameters(),
        float(cfg.lr),
        float(est.momentum),
        float(est.weight_decay),
    )
    autocast, scaler, amp_note = loop.amp_settings(bool(est.get("amp", False)), device)
    settings = loop.StepSettings(device, int(est.log_every), autocast, scaler, channels_last)
    workers, pin = int(est.num_workers), device.type == "cuda"
    train_loader, generator, sampler = data.train_loader(
        dataset.train, batch_size, seed, rank, world, workers, pin
    )
    val_loader = data.val_loader(dataset.val, batch_size, rank, world, workers, pin)

    start_epoch, step = 0, 0
    if cfg.get("resume"):
        path = checks.resolve_checkpoint(str(cfg.resume))
        start_epoch, step = checkpoints.restore(
            path, model=model, optimizer=optimizer, generator=generator, scaler=scaler
        )
        print(f"resumed from {path} (epoch {start_epoch}, step {step})", flush=True)

    trained = model
    if world > 1:
        distributed.init(run, device)
        ids = [device.index] if device.type == "cuda" else None
        trained = torch.nn.parallel.DistributedDataParallel(model, device_ids=ids)

    n_params = sum(p.numel() for p in model.parameters())
    print(
        f"pytorch: {type(model).__name__} ({n_params:,} parameters) on {est.data.format} "
        f"({len(dataset.train)} train / {len(dataset.val)} val, shape {dataset.in_shape}), "
        f"device {device}, threads {torch.get_num_threads()}, ranks {world}, "
        f"global batch {batch_size * world}, amp {amp_note}",
        flush=True,
    )
    checkpoint_dir = run.outputs_dir / checks.CHECKPOINT_DIR
    main = rank == 0

    def log_loss(name: str, value: float, at: int) -> None:
        run.log(name, value, step=at)

    for epoch in run.progress(range(epochs), total=epochs, description="epoch"):
        if epoch < start_epoch:
            continue  # done before the resume; progress still counts it
        started, cpu_started = time.perf_counter(), time.process_time()
        if sampler is not None:
            sampler.set_epoch(epoch)
        step, train_loss, seen = loop.train_epoch(
            trained, train_loader, optimizer, settings, step, log_loss
        )
        train_time = time.perf_counter() - started
        loss_sum, correct, count = distributed.all_sum(
            list(loop.evaluate(model, val_loader, settings)), device
        )
        (train_loss, seen) = distributed.all_sum([train_loss, float(seen)], device)
        if main:
            checkpoints.save(
                checkpoint_dir,
                epoch=epoch + 1,
                step=step,
                model=model,
                optimizer=optimizer,
                generator=generator,
                scaler=scaler,
                keep=int(est.get("keep_checkpoints") or 0),
            )
        epoch_time = time.perf_counter() - started
        epoch_cpu_time = time.process_time() - cpu_started
        run.log("epoch", epoch + 1, step=epoch)
        run.log("lr", float(optimizer.param_groups[0]["lr"]), step=epoch)
        run.log("train_loss", train_loss / world, step=epoch)
        run.log("val_loss", loss_sum / count, step=epoch)
        run.log("accuracy", correct / count, step=epoch)
        run.log("epoch_time", epoch_time, step=epoch)
        run.log("epoch_cpu_time", epoch_cpu_time, step=epoch)
        run.log("samples_per_s", seen / train_time, step=epoch)

    if start_epoch >= epochs:
        print(f"nothing to train: the checkpoint already has {start_epoch} of {epochs} epochs")
    if main:
        checkpoints.atomic_torch_save(model.state_dict(), Path(run.outputs_dir) / "model.pt")
    if world > 1:
        # Every rank prints its model's digest: DDP keeps them identical.
        print(f"rank {rank}: model digest {distributed.model_digest(model)}", flush=True)
