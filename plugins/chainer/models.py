"""The built-in Chainer networks. Import this module only inside a job: it imports
chainer (through ``harness.plugins.chainer.compat``)."""

from __future__ import annotations

from harness.plugins.chainer.compat import import_chainer

chainer = import_chainer()
F = chainer.functions
L = chainer.links

MODELS = ("mlp", "cnn")


class MLP(chainer.Chain):  # type: ignore[name-defined]  # chainer: imported at run time
    """The Chainer MNIST example's network: three Linear layers, ``n_units`` wide."""

    def __init__(self, n_units: int, n_out: int) -> None:
        super().__init__()
        with self.init_scope():
            # in_size None: inferred on the first call, so any image shape works.
            self.l1 = L.Linear(None, n_units)
            self.l2 = L.Linear(None, n_units)
            self.l3 = L.Linear(None, n_out)

    def forward(self, x):
        h1 = F.relu(self.l1(x))
        h2 = F.relu(self.l2(h1))
        return self.l3(h2)


class CNN(chainer.Chain):  # type: ignore[name-defined]
    """A small LeNet-style network: two 3×3 conv + max-pool blocks, then two Linear."""

    def __init__(self, n_units: int, n_out: int, in_channels: int) -> None:
        super().__init__()
        with self.init_scope():
            self.conv1 = L.Convolution2D(in_channels, 16, ksize=3, pad=1)
            self.conv2 = L.Convolution2D(16, 32, ksize=3, pad=1)
            self.fc1 = L.Linear(None, n_units)
            self.fc2 = L.Linear(None, n_out)

    def forward(self, x):
        h = F.max_pooling_2d(F.relu(self.conv1(x)), 2)
        h = F.max_pooling_2d(F.relu(self.conv2(h)), 2)
        return self.fc2(F.relu(self.fc1(h)))


def build(name: str, n_units: int, n_out: int, in_shape: tuple[int, ...]):
    """An ``L.Classifier`` around the named network, its parameters initialised
    (a dry forward pass), so ChainerMN can broadcast them before training."""
    import numpy as np

    if name == "mlp":
        net = MLP(n_units, n_out)
    elif name == "cnn":
        net = CNN(n_units, n_out, in_channels=in_shape[0])
    else:
        raise ValueError(f"unknown model '{name}'; use one of {', '.join(MODELS)}")
    with chainer.using_config("train", False), chainer.no_backprop_mode():
        net(np.zeros((1, *in_shape), dtype=np.float32))
    return L.Classifier(net)
