"""A Chainer MNIST training script for the examples, with the command line and
metrics of Azure's sample ``chainer_mnist.py`` (``--epochs``, ``--batchsize``,
``--output_dir``, ``--gpu_id``; ``Batch size``, ``Epochs`` and one ``Accuracy`` per
epoch logged through ``azureml.core.run.Run``; ``outputs/model.npz``).

It is not Azure's script, which needs three edits here: it calls ``np.int`` and
``np.float`` (removed in NumPy 1.24), its ``--gpu_id`` defaults to 0 (a GPU;
here: 0 only when CUDA is available), and its ``datautils.py`` downloads MNIST
through ``azureml.opendatasets`` (which reads the files you put in the default
datastore's ``opendatasets/mnist/``). Used by the Chainer notebooks in this folder
and by ``docs/environments.md``:

    harness train +estimator=script estimator.source_directory=examples/azureml \
        estimator.entry_script=chainer_mnist.py estimator.azureml_compat=true \
        estimator.environment=harness-chainer estimator.primary_metric=Accuracy \
        +estimator.script_params.epochs=2 +estimator.script_params.data_dir=/path/to/mnist

MNIST: the IDX files in ``--data_dir`` (plain or ``.gz``), else
``chainer.datasets.get_mnist()``, which reads its download cache
(``make_data.write_chainer_mnist()`` fills it with stand-in files).
"""

import argparse
import gzip
import os

import chainer
import chainer.functions as F
import chainer.links as L
import numpy as np
from azureml.core.run import Run
from chainer import Chain, iterators, optimizers, serializers
from chainer.backends import cuda
from chainer.dataset import concat_examples

run = Run.get_context()


class MyNetwork(Chain):
    def __init__(self, n_mid_units=100, n_out=10):
        super().__init__()
        with self.init_scope():
            self.l1 = L.Linear(None, n_mid_units)
            self.l2 = L.Linear(n_mid_units, n_mid_units)
            self.l3 = L.Linear(n_mid_units, n_out)

    def forward(self, x):
        return self.l3(F.relu(self.l2(F.relu(self.l1(x)))))


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as handle:
        raw = handle.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_mnist(folder):
    def find(stem):
        for name in (stem, stem + ".gz"):
            if os.path.isfile(os.path.join(folder, name)):
                return os.path.join(folder, name)
        raise FileNotFoundError(os.path.join(folder, stem))

    def split(prefix):
        images = read_idx(find(prefix + "-images-idx3-ubyte")).reshape(-1, 784)
        labels = read_idx(find(prefix + "-labels-idx1-ubyte")).astype(np.int32)
        return chainer.datasets.TupleDataset((images / 255.0).astype(np.float32), labels)

    return split("train"), split("t10k")


def evaluate(model, test, batchsize, device):
    losses, accuracies = [], []
    for batch in iterators.SerialIterator(test, batchsize, repeat=False, shuffle=False):
        images, targets = concat_examples(batch, device)
        with chainer.using_config("train", False), chainer.no_backprop_mode():
            prediction = model(images)
        losses.append(float(cuda.to_cpu(F.softmax_cross_entropy(prediction, targets).array)))
        accuracies.append(float(cuda.to_cpu(F.accuracy(prediction, targets).array)))
    return float(np.mean(losses)), float(np.mean(accuracies))


def main():
    parser = argparse.ArgumentParser(description="Chainer example: MNIST")
    parser.add_argument("--batchsize", "-b", type=int, default=100)
    parser.add_argument("--epochs", "-e", type=int, default=20)
    parser.add_argument("--output_dir", "-o", default="./outputs")
    parser.add_argument("--gpu_id", "-g", type=int, default=0 if cuda.available else -1)
    parser.add_argument("--data_dir", default=None, help="MNIST IDX files (default: download)")
    args = parser.parse_args()
    print("chainer", chainer.__version__, "numpy", np.__version__, "sctypes" in dir(np))

    if args.data_dir:
        train, test = load_mnist(args.data_dir)
    else:
        train, test = chainer.datasets.get_mnist()
    # library-era edit: the Azure sample wrote np.int(...) / np.float(...) (removed in NumPy 1.24)
    run.log("Batch size", int(args.batchsize))
    run.log("Epochs", int(args.epochs))

    model = MyNetwork()
    if args.gpu_id >= 0:
        cuda.get_device_from_id(args.gpu_id).use()
        model.to_gpu()
    optimizer = optimizers.MomentumSGD(lr=0.01, momentum=0.9)
    optimizer.setup(model)

    train_iter = iterators.SerialIterator(train, args.batchsize)
    while train_iter.epoch < args.epochs:
        images, targets = concat_examples(train_iter.next(), args.gpu_id)
        loss = F.softmax_cross_entropy(model(images), targets)
        model.cleargrads()
        loss.backward()
        optimizer.update()
        if train_iter.is_new_epoch:
            val_loss, val_accuracy = evaluate(model, test, args.batchsize, args.gpu_id)
            print(
                f"epoch:{train_iter.epoch:02d} train_loss:{float(cuda.to_cpu(loss.array)):.04f} "
                f"val_loss:{val_loss:.04f} val_accuracy:{val_accuracy:.04f}"
            )
            run.log("Accuracy", val_accuracy)

    os.makedirs(args.output_dir, exist_ok=True)
    serializers.save_npz(os.path.join(args.output_dir, "model.npz"), model)


if __name__ == "__main__":
    main()
