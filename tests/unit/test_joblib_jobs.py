"""The joblib launcher's job runner gives a job exactly what Hydra's own gives it."""

from __future__ import annotations

import logging

import cloudpickle
import pytest
from hydra.core.hydra_config import HydraConfig
from hydra.core.singleton import Singleton
from hydra.core.utils import JobStatus, setup_globals
from hydra.types import HydraContext, RunMode
from omegaconf import OmegaConf

from harness.sweeps.compose_cache import CachingConfigLoader

pytest.importorskip("hydra_plugins.hydra_joblib_launcher")

from hydra_plugins.hydra_joblib_launcher import _core  # noqa: E402

from hydra_plugins.harness_local_launchers import joblib_jobs  # noqa: E402

JOBS = [
    ["estimator.C=0.1"],
    ["estimator.C=1", "seed=7", "+estimator.extra=[1,2]"],
    ["compute=mpi", "estimator.C=2"],
]


@pytest.fixture
def context(train_loader):
    loader = train_loader
    master = loader.load_configuration(
        "config", ["hydra/launcher=joblib", "estimator.C=0.1,1,2"], run_mode=RunMode.MULTIRUN
    )
    setup_globals()  # as the launcher does before it hands the context over
    str(master.hydra.sweep.dir)  # resolved once, as the sweeper does: `now` is cached
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield HydraContext(config_loader=loader, callbacks=_callbacks()), master
    root.handlers[:], root.level = handlers, level  # run_job configures logging


def _callbacks():
    from hydra._internal.callbacks import Callbacks

    return Callbacks()


RECEIVED: list = []


def task(cfg):
    """What the job sees: its config and Hydra's, through the global accessor.
    (Defined at module level: the pickled context refers to it by name.)"""
    RECEIVED.append((OmegaConf.to_yaml(cfg), OmegaConf.to_yaml(HydraConfig.get())))
    return cfg.estimator.get("C")


@pytest.mark.parametrize("job", JOBS, ids=" ".join)
def test_a_job_gets_what_hydras_execute_job_gives_it(context, job):
    hydra_context, master = context
    RECEIVED.clear()
    # The sweep's context as the callback leaves it: with the composition cache.
    cached = HydraContext(
        config_loader=CachingConfigLoader.replacing(hydra_context.config_loader),
        callbacks=hydra_context.callbacks,
    )
    shared = cloudpickle.dumps((cached, master, task, Singleton.get_state()))
    got = joblib_jobs.execute_job(3, job, shared)
    ours = list(RECEIVED)
    RECEIVED.clear()
    expected = _core.execute_job(3, job, hydra_context, master, task, Singleton.get_state())
    theirs = list(RECEIVED)
    assert got.status == expected.status == JobStatus.COMPLETED
    assert got.return_value == expected.return_value
    assert got.overrides == expected.overrides == job
    assert OmegaConf.to_yaml(got.cfg) == OmegaConf.to_yaml(expected.cfg)
    assert OmegaConf.to_yaml(got.hydra_cfg) == OmegaConf.to_yaml(expected.hydra_cfg)
    assert got.hydra_cfg.hydra.job.num == 3 and got.working_dir == expected.working_dir
    assert ours == theirs and len(ours) == 1
