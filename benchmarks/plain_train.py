"""The baseline of bench_overhead.py: each estimator's default job as a plain script.

The same work as ``harness train`` at its defaults on digits, written the usual
way with each framework and nothing of the harness: load scikit-learn's digits,
split them as the estimator does, train, validate every epoch, save checkpoints
and the model. Prints one line.

    python plain_train.py sklearn|pytorch|chainer OUTPUT_FOLDER
"""

from __future__ import annotations

import sys
from pathlib import Path


def digits(test_size: float):
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    images = (bunch.images / 16.0).astype(np.float32)[:, None, :, :]
    labels = bunch.target.astype(np.int64)
    return train_test_split(images, labels, test_size=test_size, random_state=0, stratify=labels)


def sklearn_job(out: Path) -> float:
    import joblib
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.25, random_state=0, stratify=y
    )
    model = LogisticRegression(C=1.0, max_iter=1000, random_state=0).fit(x_train, y_train)
    predicted = model.predict(x_test)
    f1_score(y_test, predicted, average="macro")
    joblib.dump(model, out / "model.joblib")
    return float(accuracy_score(y_test, predicted))


def pytorch_job(out: Path) -> float:
    import torch
    import torch.nn.functional as F
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    torch.manual_seed(0)
    x_train, x_test, y_train, y_test = digits(0.2)
    train = DataLoader(
        TensorDataset(torch.from_numpy(x_train), torch.from_numpy(y_train)),
        batch_size=64,
        shuffle=True,
        generator=torch.Generator().manual_seed(0),
    )
    x_val, y_val = torch.from_numpy(x_test), torch.from_numpy(y_test)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.003)
    accuracy = 0.0
    for epoch in range(10):
        model.train()
        for x, y in train:
            optimizer.zero_grad(set_to_none=True)
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            logits = model(x_val)
            F.cross_entropy(logits, y_val).item()
            accuracy = (logits.argmax(1) == y_val).float().mean().item()
        state = {"model": model.state_dict(), "optimizer": optimizer.state_dict()}
        torch.save(state, out / f"epoch_{epoch + 1:04d}.pt")
    torch.save(model.state_dict(), out / "model.pt")
    return accuracy


def chainer_job(out: Path) -> float:
    import numpy as np

    from harness.plugins.chainer.compat import import_chainer  # chainer 7.8.1 on NumPy 2

    chainer = import_chainer()
    F, L = chainer.functions, chainer.links

    class MLP(chainer.Chain):
        def __init__(self) -> None:
            super().__init__()
            with self.init_scope():
                self.l1, self.l2, self.l3 = (
                    L.Linear(None, 100),
                    L.Linear(None, 100),
                    L.Linear(None, 10),
                )

        def forward(self, x):
            return self.l3(F.relu(self.l2(F.relu(self.l1(x)))))

    x_train, x_test, y_train, y_test = digits(0.2)
    model = L.Classifier(MLP())
    optimizer = chainer.optimizers.MomentumSGD(lr=0.05, momentum=0.9)
    optimizer.setup(model)
    train = chainer.iterators.SerialIterator(
        chainer.datasets.TupleDataset(x_train, y_train.astype(np.int32)), 32
    )
    accuracy = 0.0
    while train.epoch < 10:
        optimizer.update(model, *chainer.dataset.concat_examples(train.next()))
        if train.is_new_epoch:
            with chainer.using_config("train", False), chainer.no_backprop_mode():
                model(x_test, y_test.astype(np.int32))
                accuracy = float(model.accuracy.array)
    chainer.serializers.save_npz(str(out / "model.npz"), model.predictor)
    return accuracy


def main() -> None:
    which, out = sys.argv[1], Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    accuracy = {"sklearn": sklearn_job, "pytorch": pytorch_job, "chainer": chainer_job}[which](out)
    print(f"{which}: accuracy {accuracy:.4f}")


if __name__ == "__main__":
    main()
