"""The Azure ML v1 Chainer tutorial's training script (chainer_mnist.py), unchanged
in what it does: an MLP on MNIST with Chainer 7, logging through
``azureml.core.run.Run`` and saving ``outputs/model.npz``.

Chainer 7.8.1 was written for NumPy 1.x; run it in the curated ``harness-chainer``
environment (numpy<2), where it needs no compatibility patch:

    harness train +estimator=script estimator.source_directory=examples/chainer-tutorial \
        estimator.entry_script=chainer_mnist.py estimator.azureml_compat=true \
        estimator.environment=harness-chainer \
        +estimator.script_params.epochs=2 +estimator.script_params.data_dir=/path/to/mnist

One change from the original: ``chainer.datasets.get_mnist()`` downloads the data,
so ``--data_dir`` reads the MNIST IDX files from a folder instead when given.
"""

import argparse
import gzip
import os

import chainer
import chainer.functions as F
import chainer.links as L
import numpy as np
from azureml.core.run import Run
from chainer import serializers
from chainer.dataset import concat_examples

# get the Azure ML run object
run = Run.get_context()


class MyNetwork(chainer.Chain):
    def __init__(self, n_mid_units=100, n_out=10):
        super().__init__()
        with self.init_scope():
            self.l1 = L.Linear(None, n_mid_units)
            self.l2 = L.Linear(n_mid_units, n_mid_units)
            self.l3 = L.Linear(n_mid_units, n_out)

    def forward(self, x):
        h = F.relu(self.l1(x))
        h = F.relu(self.l2(h))
        return self.l3(h)


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


def main():
    parser = argparse.ArgumentParser(description="Chainer example: MNIST")
    parser.add_argument("--batchsize", "-b", type=int, default=100,
                        help="Number of images in each mini-batch")  # fmt: skip
    parser.add_argument("--epochs", "-e", type=int, default=20,
                        help="Number of sweeps over the dataset to train")  # fmt: skip
    parser.add_argument(
        "--output_dir", "-o", default="./outputs", help="Directory to output the result"
    )
    parser.add_argument(
        "--gpu_id", "-g", default=-1, help="ID of the GPU to be used. Set to -1 if you use CPU"
    )
    parser.add_argument("--data_dir", default=None, help="MNIST IDX files (default: download)")
    args = parser.parse_args()

    # Set up a neural network to train
    model = L.Classifier(MyNetwork())
    run.log("Batch size", int(args.batchsize))
    run.log("Epochs", int(args.epochs))
    print("chainer", chainer.__version__, "numpy", np.__version__, "sctypes" in dir(np))

    # Choose an optimizer algorithm
    optimizer = chainer.optimizers.MomentumSGD(lr=0.01, momentum=0.9)
    optimizer.setup(model)

    # Load the MNIST dataset
    if args.data_dir:
        train, test = load_mnist(args.data_dir)
    else:
        train, test = chainer.datasets.get_mnist()

    train_iter = chainer.iterators.SerialIterator(train, args.batchsize)
    test_iter = chainer.iterators.SerialIterator(test, args.batchsize, repeat=False, shuffle=False)

    while train_iter.epoch < args.epochs:
        train_batch = train_iter.next()
        image_train, target_train = concat_examples(train_batch, -1)
        prediction_train = model.predictor(image_train)
        loss = F.softmax_cross_entropy(prediction_train, target_train)
        model.cleargrads()
        loss.backward()
        optimizer.update()

        if train_iter.is_new_epoch:
            print(f"epoch:{train_iter.epoch:02d} train_loss:{float(loss.array):.04f} ", end="")  # fmt: skip
            test_losses, test_accuracies = [], []
            while True:
                test_batch = test_iter.next()
                image_test, target_test = concat_examples(test_batch, -1)
                with chainer.using_config("train", False), chainer.no_backprop_mode():
                    prediction_test = model.predictor(image_test)
                test_losses.append(
                    float(F.softmax_cross_entropy(prediction_test, target_test).array)
                )
                test_accuracies.append(float(F.accuracy(prediction_test, target_test).array))
                if test_iter.is_new_epoch:
                    test_iter.reset()
                    break
            val_accuracy = float(np.mean(test_accuracies))
            print(f"val_loss:{float(np.mean(test_losses)):.04f} val_accuracy:{val_accuracy:.04f}")  # fmt: skip
            run.log("Accuracy", val_accuracy)

    os.makedirs(args.output_dir, exist_ok=True)
    serializers.save_npz(os.path.join(args.output_dir, "model.npz"), model)


if __name__ == "__main__":
    main()
