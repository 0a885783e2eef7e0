"""The bench figures and the compare rules, on hand-made histories and results."""

from __future__ import annotations

import pytest

from harness.bench import compare, results
from harness.bench.suite import load_suite


def series(*values):
    return [{"step": i, "value": v, "time": 0.0} for i, v in enumerate(values)]


def test_curve_sums_epoch_times_and_time_to_target_is_the_first_epoch_reaching_it():
    history = {"accuracy": series(0.5, 0.85, 0.8, 0.95), "epoch_time": series(2.0, 1.0, 1.0, 1.0)}
    curve = results.accuracy_curve(history)
    assert curve == [(2.0, 0.5), (3.0, 0.85), (4.0, 0.8), (5.0, 0.95)]
    assert results.time_to_target(curve, 0.8) == 3.0
    assert results.time_to_target(curve, 0.99) is None


def test_one_shot_estimator_gives_one_point_and_throughput_from_n_train():
    history = {"accuracy": series(0.9), "train_time": series(0.5), "n_train": series(1000)}
    assert results.accuracy_curve(history) == [(0.5, 0.9)]
    assert results.throughput(history) == 2000


def test_throughput_is_the_median_of_the_per_epoch_figure():
    assert results.throughput({"samples_per_s": series(100.0, 300.0, 200.0)}) == 200.0
    assert results.throughput({"samples_per_sec": series(50.0)}) == 50.0
    assert results.throughput({}) is None


def cell(key="a/b/c", status="Completed", **figures):
    base = {
        "final_accuracy": 0.9,
        "time_to_target_s": 10.0,
        "throughput_samples_per_s": 1000.0,
        "peak_rss_mb": 300.0,
        "gpu_peak_mb": None,
        "wall_s": 20.0,
    }
    base.update(figures)
    return {"key": key, "status": status, **base}


def flagged(before, after, threshold=0.05):
    rows = compare.compare({"cells": before}, {"cells": after}, threshold)
    return {(r.cell, r.metric) for r in rows if r.regression}


@pytest.mark.parametrize(
    ("metric", "value"),
    [
        ("final_accuracy", 0.8),
        ("time_to_target_s", 11.0),
        ("throughput_samples_per_s", 900.0),
        ("peak_rss_mb", 400.0),
        ("wall_s", 22.0),
    ],
)
def test_each_metric_regresses_in_its_bad_direction_only(metric, value):
    assert flagged([cell()], [cell(**{metric: value})]) == {("a/b/c", metric)}
    assert flagged([cell(**{metric: value})], [cell()]) == set()  # the improvement


def test_small_changes_lost_targets_failures_and_missing_cells():
    assert flagged([cell()], [cell(final_accuracy=0.88)]) == set()  # within 5 %
    assert flagged([cell()], [cell(time_to_target_s=None)]) == {("a/b/c", "time_to_target_s")}
    assert ("a/b/c", "status") in flagged([cell()], [cell(status="Failed")])
    assert flagged([cell()], []) == {("a/b/c", "status")}
    assert flagged([], [cell()]) == set()  # a new cell is not a regression


def test_builtin_suites_expand_to_their_matrix():
    ci = load_suite("ci")
    assert len(ci.cells) == 9
    default = load_suite("default")
    keys = {c.key for c in default.cells}
    assert "pytorch/cifar10/cnn_amp_channels_last" in keys
    assert "sklearn/cifar10/cnn" not in keys  # the CNN settings name their estimators
    amp = next(c for c in default.cells if c.key == "pytorch/mnist/cnn_amp_channels_last")
    assert "estimator.amp=true" in amp.overrides
    chainer_cnn = next(c for c in default.cells if c.key == "chainer/mnist/cnn")
    assert chainer_cnn.overrides[-1] == "estimator.model.name=cnn"


def test_suite_overrides_and_skipping_sklearn_on_images():
    suite = load_suite("ci", ["target_accuracy=0.5", "estimators.sklearn.flatten_images=false"])
    assert suite.target_accuracy == 0.5
    assert [c.key for c in suite.cells if c.estimator == "sklearn"] == ["sklearn/digits/default"]
