"""A model trained by the PyTorch or Chainer estimator, registered and served without
a score.py: the estimator's own ``load_model`` rebuilds it in the service. The
service's answers on the run's validation split must give exactly the accuracy the
run logged (same weights, same network, same inputs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from serving import post, serve, stop_all, train_and_register

from harness import datasets
from harness.testing import run_cli

pytestmark = pytest.mark.slow


def validation_split() -> tuple[list, list]:
    data = datasets.load("digits", test_size=0.2, seed=0)
    return data.x_test.reshape(len(data.x_test), -1).tolist(), data.y_test.tolist()


def logged_accuracy(home: Path, run_id: str) -> float:
    shown = run_cli("runs", "show", run_id, "--format", "json", home=home)
    assert shown.returncode == 0, shown.output
    return float(shown.json()["metrics"]["accuracy"])


@pytest.mark.parametrize("framework", ["pytorch", "chainer"])
def test_framework_model_serves_with_the_accuracy_its_run_logged(home: Path, framework: str):
    if framework == "pytorch":
        pytest.importorskip("torch")
        overrides = ("+estimator=pytorch", "epochs=2")
    else:
        from harness.plugins.chainer.compat import chainer_available

        if not chainer_available():
            pytest.skip("chainer is not installed")
        overrides = ("+estimator=chainer", "epochs=2")
    run_id = train_and_register(home, *overrides)
    try:
        item = serve(home, "digits")
        assert item["estimator"] == framework and item["entry_script"] is None
        rows, labels = validation_split()
        status, answer = post(item["url"] + "invocations", json.dumps({"inputs": rows}))
        assert status == 200, answer
        predicted = answer["predictions"]
        assert len(predicted) == len(labels)
        accuracy = sum(p == y for p, y in zip(predicted, labels, strict=True)) / len(labels)
        assert accuracy == pytest.approx(
            logged_accuracy(home, run_id), abs=1e-6
        )  # float32 sums in the run; one row is 1/360
        assert accuracy > 0.5  # premise: a trained model, not chance
        # v1's body on /score, in the images' own shape this time
        status, answer = post(
            item["scoring_uri"],
            json.dumps(
                {"data": [[[row[i * 8 : i * 8 + 8] for i in range(8)]] for row in rows[:5]]}
            ),
        )
        assert (status, answer) == (200, predicted[:5])
    finally:
        stop_all(home)
