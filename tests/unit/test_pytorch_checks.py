"""Driver-side checks of the pytorch estimator that need no torch (and no GPU)."""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from harness.errors import ConfigError
from harness.plugins.pytorch import checks


def config(compute="mpi", ranks=2, **estimator):
    return OmegaConf.create(
        {
            "compute": {"name": compute, "process_count_per_node": ranks},
            "estimator": {"device": "auto", "backend": "auto", **estimator},
        }
    )


@pytest.mark.parametrize(
    ("visible", "expected"), [("0", 1), ("0,1,3", 3), ("", 0), ("-1", 0)]
)  # fmt: skip
def test_gpus_are_counted_from_cuda_visible_devices(monkeypatch, visible, expected):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", visible)
    assert checks.count_gpus() == expected


def test_one_rank_per_gpu_under_mpi(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    checks.check_ranks_per_gpu(config(ranks=2))  # two ranks, two GPUs
    with pytest.raises(ConfigError, match="3 ranks per node .* 2 GPU"):
        checks.check_ranks_per_gpu(config(ranks=3))
    with pytest.raises(ConfigError, match="3 ranks per node"):
        checks.check_ranks_per_gpu(config(ranks=3, device="cuda"))


def test_gloo_cpu_or_local_compute_may_have_more_ranks_than_gpus(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    checks.check_ranks_per_gpu(config(ranks=4, backend="gloo"))
    checks.check_ranks_per_gpu(config(ranks=4, device="cpu"))
    checks.check_ranks_per_gpu(config(compute="local", ranks=4))


def test_no_gpu_and_device_auto_trains_on_the_cpu(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    checks.check_ranks_per_gpu(config(ranks=4))
    with pytest.raises(ConfigError, match="0 GPU"):
        checks.check_ranks_per_gpu(config(ranks=2, device="cuda:0"))
