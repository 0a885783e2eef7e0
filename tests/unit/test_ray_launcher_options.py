"""hydra/launcher=ray: each job's Ray options and how many workers a sweep warms.

No cluster here: the options come from the composed config, the counts from
given cluster totals (tests/e2e/test_ray_cluster.py runs sweeps on a real one).
"""

from __future__ import annotations

import pytest
from hydra.types import RunMode

from hydra_plugins.harness_ray_launcher import warm
from hydra_plugins.harness_ray_launcher.launcher import job_env, task_options


@pytest.fixture
def compose(tmp_path, monkeypatch, train_loader):
    monkeypatch.setenv("HARNESS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HARNESS_SWEEP_ID", "20261207-000000-abcdef")
    loader = train_loader

    def composed(*overrides: str):
        return loader.load_configuration(
            "config", ["hydra/launcher=ray", *overrides], run_mode=RunMode.MULTIRUN
        )

    return composed


def test_the_jobs_are_spread_over_the_nodes_unless_the_config_says_otherwise(compose):
    options = task_options(compose("estimator.C=1,2").hydra.launcher.ray)
    assert options["scheduling_strategy"] == "SPREAD"
    assert options["num_cpus"] == 1
    chosen = compose("estimator.C=1,2", "hydra.launcher.ray.remote.scheduling_strategy=DEFAULT")
    assert task_options(chosen.hydra.launcher.ray)["scheduling_strategy"] == "DEFAULT"


def test_the_jobs_get_the_harness_environment_under_the_users_env_vars(compose, tmp_path):
    master = compose(
        "estimator.C=1,2",
        "+hydra.launcher.ray.remote.runtime_env={env_vars:{HARNESS_SWEEP_ID:mine,OTHER:x}}",
        "+hydra.launcher.ray.init.runtime_env={env_vars:{HARNESS_PLUGINS:theirs}}",
    )
    options = task_options(master.hydra.launcher.ray)
    # The user's runtime_env reaches Ray as they wrote it; the harness's own
    # variables travel with the jobs, less those the user set in either.
    assert options["runtime_env"] == {"env_vars": {"HARNESS_SWEEP_ID": "mine", "OTHER": "x"}}
    env = job_env(master.hydra.launcher.ray)
    assert env["HARNESS_HOME"] == str(tmp_path / "home")
    assert not {"HARNESS_SWEEP_ID", "OTHER", "HARNESS_PLUGINS"} & set(env)
    # Without one the tasks have no runtime_env, so Ray's workers for a new driver
    # serve them at once, and the harness's variables all travel with the jobs.
    plain = compose("estimator.C=1,2").hydra.launcher.ray
    assert "runtime_env" not in task_options(plain)
    assert job_env(plain)["HARNESS_SWEEP_ID"] == "20261207-000000-abcdef"


@pytest.mark.parametrize(
    "options, totals, width, expected",
    [
        ({"num_cpus": 1}, {"CPU": 2.0}, 16, 2),  # the cluster's two CPUs
        ({"num_cpus": 1}, {"CPU": 8.0}, 3, 3),  # a sweep of three jobs
        ({"num_cpus": 2}, {"CPU": 5.0}, None, 2),
        ({"num_cpus": 0.5}, {"CPU": 2.0}, 16, 4),
        ({"num_cpus": 1, "num_gpus": 1}, {"CPU": 8.0, "GPU": 1.0}, 16, 1),
        ({"num_cpus": 1, "resources": {"worker_node": 1}}, {"CPU": 2.0}, 16, 0),  # nowhere
        ({"num_cpus": 0}, {"CPU": 2.0}, None, warm.MOST),
        ({"num_cpus": 1}, {"CPU": 1000.0}, None, warm.MOST),
    ],
)
def test_the_sweep_warms_a_worker_per_job_the_cluster_runs_at_once(
    options, totals, width, expected
):
    assert warm.count(options, totals, width) == expected


def test_the_sweep_width_is_its_grid_or_optunas_batch_at_most_max_concurrent(compose):
    grid = compose("estimator.C=1,2,3", "seed=1,2")
    assert warm.width(grid, None) == 6
    assert warm.width(grid, 4) == 4
    optuna = compose("hydra/sweeper=optuna", "hydra.sweeper.n_jobs=3", "estimator.C=1,2")
    assert warm.width(optuna, None) == 3


def test_a_runtime_env_ray_cannot_set_up_is_one_line_with_its_setting_and_cause(compose):
    from ray.exceptions import RuntimeEnvSetupError

    from hydra_plugins.harness_ray_launcher.launcher import runtime_env_refused

    node_report = (
        "Traceback (most recent call last):\n"
        '  File "pip.py", line 132, in __init__\n'
        "ModuleNotFoundError: No module named 'virtualenv'\n\n"
        "RuntimeError: Please install virtualenv to enable pip runtime env.\n"
    )
    remote = compose("+hydra.launcher.ray.remote.runtime_env={pip:[nothing-q7z]}").hydra.launcher
    told = runtime_env_refused(remote.ray, RuntimeEnvSetupError(node_report))
    assert told == (
        "hydra/launcher=ray: Ray could not set up the jobs' runtime_env "
        "(hydra.launcher.ray.remote.runtime_env): "
        "RuntimeError: Please install virtualenv to enable pip runtime env."
    )
    init = compose("+hydra.launcher.ray.init.runtime_env={pip:[nothing-q7z]}").hydra.launcher
    told = runtime_env_refused(init.ray, RuntimeEnvSetupError(None))
    assert "(hydra.launcher.ray.init.runtime_env): Ray gave no reason" in told
    assert "\n" not in told
