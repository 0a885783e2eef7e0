"""The sweep's composition cache gives every job the config Hydra composes for it."""

from __future__ import annotations

import pickle

import pytest
from hydra._internal.config_loader_impl import ConfigLoaderImpl
from hydra._internal.utils import create_config_search_path
from hydra.types import RunMode
from omegaconf import OmegaConf

from harness.sweeps import compose_cache
from harness.sweeps.compose_cache import CachingConfigLoader

MASTER = [
    "hydra/launcher=joblib",
    "hydra.launcher.n_jobs=2",
    "hydra.job.env_copy=[HOME]",
    "estimator.C=0.1,1",
]

JOBS = [
    ["estimator.C=0.1"],
    ["estimator.C=1"],
    ["estimator.C=1", "seed=7", "experiment=other"],
    ["+estimator.extra=3", "++seed=5"],
    ["+estimator.opts={a:1,b:[2,3]}"],
    ["estimator.C=${seed}"],
    ["~seed"],
    ["compute=mpi", "estimator.C=2"],
    ["logger=[console,jsonl]", "estimator.C=3"],
    ["compute=mpi", "estimator.C=4"],  # a second job of a shape already composed
]


@pytest.fixture(scope="module")
def loader() -> ConfigLoaderImpl:
    """Hydra's loader for `harness train`'s primary config, after the registrations
    the command makes before composing."""
    from harness.contract.manager import get_plugin_manager
    from harness.job import config
    from harness.sweeps import config as sweep_config

    sweep_config.register()
    config.register_schema()
    config.register_resolvers()
    config.register_plugin_schemas(get_plugin_manager().config_schemas())
    return ConfigLoaderImpl(config_search_path=create_config_search_path("pkg://harness.conf"))


@pytest.fixture(scope="module")
def master(loader: ConfigLoaderImpl):
    return loader.load_configuration("config", MASTER, run_mode=RunMode.MULTIRUN)


def _same(a, b) -> None:
    assert OmegaConf.to_yaml(a) == OmegaConf.to_yaml(b)  # values, types, key order
    assert OmegaConf.is_struct(a) == OmegaConf.is_struct(b)
    assert OmegaConf.is_readonly(a.hydra) == OmegaConf.is_readonly(b.hydra)
    assert type(a.hydra.overrides.task) is type(b.hydra.overrides.task)
    # The list's declared element type too (a new list is set, not the old one filled).
    assert OmegaConf.get_type(a.hydra.overrides, "task") is OmegaConf.get_type(
        b.hydra.overrides, "task"
    )
    task_a, task_b = a.hydra.overrides.task, b.hydra.overrides.task
    assert task_a._metadata.element_type == task_b._metadata.element_type
    assert task_a._metadata.ref_type == task_b._metadata.ref_type


@pytest.mark.parametrize("job", JOBS, ids=" ".join)
def test_a_cached_job_is_the_job_hydra_composes(loader, master, job, monkeypatch):
    cached = CachingConfigLoader.replacing(loader)
    expected = loader.load_sweep_config(master, job)
    got = cached.load_sweep_config(master, job)
    _same(got, expected)
    assert got.hydra.overrides.task == job
    composed = _count_compositions(monkeypatch)
    again = cached.load_sweep_config(master, job)  # from the cache this time
    assert composed == []
    _same(again, expected)
    got.estimator.C = 123.0  # each job owns its copy
    assert again.estimator.get("C") != 123.0


def _count_compositions(monkeypatch) -> list[int]:
    calls: list[int] = []
    original = ConfigLoaderImpl._compose_config_from_defaults_list

    def counted(self, *args, **kwargs):
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ConfigLoaderImpl, "_compose_config_from_defaults_list", counted)
    return calls


def test_a_shape_is_composed_once_per_process(loader, master, monkeypatch):
    compose_cache._bases.clear()
    cached = CachingConfigLoader.replacing(loader)
    calls = _count_compositions(monkeypatch)
    for value in range(20):
        cached.load_sweep_config(master, [f"estimator.C={value}", f"seed={value}"])
    assert len(calls) == 1
    cached.load_sweep_config(master, ["compute=mpi", "estimator.C=1"])
    assert len(calls) == 2


def test_a_copy_of_the_loader_finds_the_same_compositions(loader, master, monkeypatch):
    """joblib's workers unpickle a new loader with every job: they share one cache."""
    import cloudpickle

    cached = CachingConfigLoader.replacing(loader)
    cached.load_sweep_config(master, ["estimator.C=1"])
    calls = _count_compositions(monkeypatch)
    for value in range(3):
        copy = pickle.loads(cloudpickle.dumps(cached))
        job = copy.load_sweep_config(master, [f"estimator.C={value}"])
        assert job.estimator["C"] == value
    assert calls == []


@pytest.mark.parametrize(
    "job",
    [["seed=abc"], ["estimator.nosuch=1"], ["+seed=3"], ["~nosuch"], ["seed=1,2"]],
    ids=" ".join,
)
def test_a_refused_job_gets_hydras_own_error(loader, master, job):
    cached = CachingConfigLoader.replacing(loader)
    with pytest.raises(Exception) as hydras:
        loader.load_sweep_config(master, job)
    with pytest.raises(Exception) as ours:
        cached.load_sweep_config(master, job)
    assert type(ours.value) is type(hydras.value)
    assert str(ours.value) == str(hydras.value)
