"""Chainer training inside a worker: one process, or one ChainerMN rank of many.

An explicit epoch loop (rather than ``chainer.training.Trainer``) keeps progress,
per-epoch metrics and timing in our hands; ChainerMN's pieces slot in unchanged:
the multi-node optimizer all-reduces gradients, the multi-node evaluator averages
validation results over the ranks.
"""

from __future__ import annotations

import io
import json
import time
from typing import Any

import numpy as np

from harness import datasets
from harness.contract.files import atomic_write_bytes, atomic_write_json
from harness.plugins.chainer import multinode
from harness.plugins.chainer.compat import import_chainer

MODEL_FILE = "model.npz"
#: What it takes to rebuild the network for ``load_npz`` (see ``load_model``).
MODEL_INFO_FILE = "model.json"


def train(run: Any) -> None:
    if run.world_size > 1:
        comm = multinode.communicator(run)
        # ChainerMN's own abort-on-exception: one failing rank must not leave the
        # others waiting in an all-reduce forever.
        with multinode.abort_on_exception():
            _train(run, comm)
    else:
        _train(run, None)


def _load(run: Any, comm: Any) -> tuple[Any, Any, dict[str, Any]]:
    """(train, test, info) for this process; under ChainerMN rank 0 reads the files
    and scatters shards, so the data is read once."""
    chainer = import_chainer()
    cfg = run.params
    data = cfg.estimator.data
    arrays = None
    if comm is None or comm.rank == 0:
        arrays = datasets.load(
            str(data.format),
            None if data.path is None else str(data.path),
            test_size=float(data.test_size),
            seed=int(cfg.seed),
        )

    def tuples(x: np.ndarray, y: np.ndarray) -> Any:
        # softmax_cross_entropy wants int32 labels
        return chainer.datasets.TupleDataset(x, y.astype(np.int32))

    if comm is None:
        assert arrays is not None
        info = {"name": arrays.name, "shape": list(arrays.shape), "classes": arrays.num_classes}
        train_set = tuples(arrays.x_train, arrays.y_train)
        return train_set, tuples(arrays.x_test, arrays.y_test), info
    return multinode.scatter(comm, arrays, tuples, seed=int(cfg.seed))


def _optimizer(cfg: Any) -> Any:
    chainer = import_chainer()
    opt_cfg = cfg.estimator.optimizer
    if opt_cfg.name == "adam":
        optimizer = chainer.optimizers.Adam(alpha=float(cfg.lr))
    else:
        optimizer = chainer.optimizers.MomentumSGD(
            lr=float(cfg.lr), momentum=float(opt_cfg.momentum)
        )
    return optimizer


def _train(run: Any, comm: Any) -> None:
    chainer = import_chainer()
    from harness.plugins.chainer import models

    cfg = run.params
    seed = int(cfg.seed)
    # Chainer's initializers and our shuffling draw from NumPy's global RNG.
    np.random.seed(seed)
    chainer.config.train = True
    train_set, test_set, info = _load(run, comm)
    model_cfg = cfg.estimator.model
    model = models.build(
        str(model_cfg.name), int(model_cfg.n_units), info["classes"], tuple(info["shape"])
    )
    optimizer = _optimizer(cfg)
    if comm is not None:
        comm.bcast_data(model)  # every rank starts from rank 0's weights
        optimizer = multinode.optimizer(optimizer, comm)
    optimizer.setup(model)
    if float(cfg.estimator.optimizer.weight_decay) > 0:
        optimizer.add_hook(
            chainer.optimizer_hooks.WeightDecay(float(cfg.estimator.optimizer.weight_decay))
        )

    batch_size, epochs = int(cfg.batch_size), int(cfg.epochs)
    rank = 0 if comm is None else comm.rank
    order = chainer.iterators.ShuffleOrderSampler(np.random.RandomState(seed + rank))
    train_iter = chainer.iterators.SerialIterator(train_set, batch_size, order_sampler=order)
    test_iter = chainer.iterators.SerialIterator(
        test_set, max(batch_size, 256), repeat=False, shuffle=False
    )
    evaluator = chainer.training.extensions.Evaluator(
        test_iter, model, eval_func=_weighted_eval(chainer, model)
    )
    if comm is not None:
        evaluator = multinode.evaluator(evaluator, comm)

    world = 1 if comm is None else comm.size
    if rank == 0:
        print(
            f"chainer: {model_cfg.name} on {info['name']} {tuple(info['shape'])}, "
            f"{len(train_set) * world} train / {len(test_set) * world} val samples, "
            f"{epochs} epochs, batch {batch_size}, {_describe(optimizer)}"
            + (f" per rank × {world} ranks (ChainerMN)" if comm is not None else ""),
            flush=True,
        )
    for _ in run.progress(range(epochs), total=epochs, description="epoch"):
        started = time.perf_counter()
        sums = _train_epoch(train_iter, model, optimizer)
        elapsed = time.perf_counter() - started
        if comm is not None:
            sums = comm.allreduce_obj(sums)  # element-wise sum over the ranks
        loss_sum, correct_sum, seen = (float(v) for v in sums)
        result = evaluator()  # its own reporter scope, train mode off; keys main/…
        run.log("train_loss", loss_sum / seen)
        run.log("train_accuracy", correct_sum / seen)
        run.log("val_loss", float(result["main/loss"]))
        run.log("accuracy", float(result["main/accuracy"]))
        run.log("epoch_time", elapsed)
        run.log("samples_per_sec", seen / elapsed)  # all ranks together
    if rank == 0:
        save_model(run, model, model_cfg, info)


def _weighted_eval(chainer: Any, model: Any) -> Any:
    """The Evaluator averages per-batch means with equal weight, which skews the
    result when the last batch is short; report (value, batch size) pairs, which
    ``DictSummary`` weighs, so validation accuracy is the plain per-sample mean."""

    def evaluate(x: Any, t: Any) -> None:
        model(x, t)
        n = len(t)
        chainer.report(
            {"loss": (float(model.loss.array), n), "accuracy": (float(model.accuracy.array), n)},
            model,
        )

    return evaluate


def _describe(optimizer: Any) -> str:
    actual = getattr(optimizer, "actual_optimizer", optimizer)  # under ChainerMN
    hyper = {k: v for k, v in vars(actual.hyperparam).items() if not k.startswith("_")}
    keys = [k for k in ("lr", "alpha", "momentum") if k in hyper]
    return f"{type(actual).__name__}(" + ", ".join(f"{k}={hyper[k]:g}" for k in keys) + ")"


def _train_epoch(train_iter: Any, model: Any, optimizer: Any) -> np.ndarray:
    """One pass over this process's data: [loss sum, correct sum, samples]."""
    chainer = import_chainer()
    sums = np.zeros(3, dtype=np.float64)
    while True:
        batch = train_iter.next()
        x, t = chainer.dataset.concat_examples(batch)
        optimizer.update(model, x, t)
        n = len(t)
        sums += (float(model.loss.array) * n, float(model.accuracy.array) * n, n)
        if train_iter.is_new_epoch:
            return sums


def save_model(run: Any, model: Any, model_cfg: Any, info: dict[str, Any]) -> None:
    """``outputs/model.npz`` (``chainer.serializers.save_npz``), written atomically,
    and ``outputs/model.json`` saying how to rebuild the network."""
    chainer = import_chainer()
    buffer = io.BytesIO()
    chainer.serializers.save_npz(buffer, model)
    atomic_write_bytes(run.outputs_dir / MODEL_FILE, buffer.getvalue())
    atomic_write_json(
        run.outputs_dir / MODEL_INFO_FILE,
        {
            "model": str(model_cfg.name),
            "n_units": int(model_cfg.n_units),
            "n_out": info["classes"],
            "in_shape": info["shape"],
            "data": info["name"],
        },
    )


def load_model(outputs_dir: Any) -> Any:
    """Rebuild the saved ``L.Classifier`` from a run's outputs folder."""
    from pathlib import Path

    from harness.plugins.chainer import models

    chainer = import_chainer()
    folder = Path(outputs_dir)
    meta = json.loads((folder / MODEL_INFO_FILE).read_text())
    model = models.build(meta["model"], meta["n_units"], meta["n_out"], tuple(meta["in_shape"]))
    chainer.serializers.load_npz(str(folder / MODEL_FILE), model)
    return model
