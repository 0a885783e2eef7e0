"""Python config objects → the overrides `harness train` gets (harness.sdk)."""

from __future__ import annotations

import math

import pytest

from harness.errors import ConfigError
from harness.sdk import overrides as ov
from harness.sdk.configs import EstimatorConfig, MpiConfiguration, ScriptRunConfig
from harness.sdk.data import DataReference
from harness.sdk.sweep import (
    BanditPolicy,
    BayesianSampling,
    GridSampling,
    MedianStoppingPolicy,
    RandomSampling,
    SweepConfig,
    TruncationSelectionPolicy,
    choice,
    loguniform,
    normal,
    quniform,
    randint,
    uniform,
)


def test_values_are_quoted_so_user_text_is_never_hydra_syntax():
    assert ov.value("a,b") == "'a,b'"
    assert ov.value("it's") == "'it\\'s'"
    assert ov.value("${oops}") == "'\\${oops}'"
    assert ov.value(ov.Interpolation("${datastore:x,mount}")) == "'${datastore:x,mount}'"
    assert ov.value([1, 0.5, True, None]) == "[1,0.5,true,null]"
    with pytest.raises(ConfigError):
        ov.value(math.nan)
    with pytest.raises(ConfigError, match="config key"):
        ov.assign("a b", 1)


def test_script_run_config_keeps_v1_arguments_and_dash_dash_script_params(tmp_path):
    ref = DataReference("store", "datasets/x").as_named_input("input").as_download()
    config = ScriptRunConfig(
        tmp_path,
        "train.py",
        arguments=["--lr", 0.003, "--data", ref],
        script_params={"--regularization": 0.8, "plain": "v", "flag": True},
    )
    items = config.to_overrides()
    assert items[0] == "+estimator=script"
    assert "++estimator.script_params.regularization='0.8'" in items
    assert "++estimator.script_params.flag=true" in items
    assert (
        "++estimator.arguments=['--lr','0.003','--data','${datastore:store:datasets/x,download}']"
        in items
    )
    assert "++estimator.named_inputs={input:'${datastore:store:datasets/x,download}'}" in items
    assert config.sweep_key("--regularization") == "estimator.script_params.regularization"


def test_estimator_config_and_mpi():
    items = EstimatorConfig(
        "sklearn",
        {"C": 0.5, "lr": 0.1, "estimator.data.path": "d"},
        distributed_job_config=MpiConfiguration(2),
    ).to_overrides()
    assert items[:4] == [
        "+estimator=sklearn",
        "++estimator.C=0.5",
        "++lr=0.1",
        "++estimator.data.path='d'",
    ]
    assert "compute=mpi" in items and "++compute.process_count_per_node=2" in items


def test_samplings_map_onto_the_sweepers():
    grid = GridSampling({"C": choice(0.1, 1)}).to_overrides(lambda k: f"estimator.{k}")
    assert grid == ["++estimator.C=0.1,1"]
    rnd = RandomSampling(
        {
            "a": uniform(0, 1),
            "b": loguniform(math.log(0.01), 0),
            "c": quniform(1, 10, 1),
            "d": randint(5),
            "e": choice("x", "y"),
        }
    )
    items = rnd.to_overrides(lambda k: k)
    assert items[:2] == ["hydra/sweeper=optuna", "hydra/sweeper/sampler=random"]
    assert "++a=interval(0.0,1.0)" in items
    (log_term,) = [i for i in items if i.startswith("++b=")]
    low = float(log_term.removeprefix("++b=tag(log,interval(").split(",")[0])
    assert log_term.endswith(",1.0))") and low == pytest.approx(0.01)  # e^min, e^max as in v1
    # quniform is v1's round(uniform/q)*q, sampled by the sweeper (not a stepped range)
    assert (
        "++c=tag(quniform,range(1.0,10.0,1.0))" in items and "++d=tag(int,interval(0,4))" in items
    )
    assert "++e=choice('x','y')" in items
    assert (
        BayesianSampling({"a": uniform(0, 1)}).to_overrides(lambda k: k)[0]
        == "hydra/sweeper=optuna"
    )
    with pytest.raises(ConfigError, match="choice"):
        GridSampling({"a": uniform(0, 1)}).to_overrides(lambda k: k)
    # normal is sampled as v1 did (tests/unit/test_sweep_expressions.py), not refused
    assert "++a=tag(normal,interval(0.0,1.0))" in RandomSampling({"a": normal(0, 1)}).to_overrides(
        lambda k: k
    )


def test_sweep_config_limits_goal_and_policies(tmp_path):
    base = ScriptRunConfig(tmp_path, "t.py")
    items = SweepConfig(
        base,
        GridSampling({"--lr": choice(1, 2)}),
        "acc",
        "MINIMIZE",
        max_total_runs=4,
        max_concurrent_runs=2,
        max_duration_minutes=1.5,
        policy=BanditPolicy(slack_factor=0.1, delay_evaluation=2),
    ).to_overrides()
    assert "++estimator.script_params.lr=1,2" in items
    assert "++sweep.goal='minimize'" in items and "++sweep.metric='acc'" in items
    assert "hydra/launcher=joblib" in items and "++sweep.max_concurrent_runs=2" in items
    assert "++sweep.max_duration=90.0" in items
    assert "sweep.policy=bandit" in items and "++sweep.policy.slack_factor=0.1" in items
    assert MedianStoppingPolicy().to_overrides()[0] == "sweep.policy=median"
    assert TruncationSelectionPolicy(20).to_overrides()[:2] == [
        "sweep.policy=truncation",
        "++sweep.policy.truncation_percentage=20",
    ]
    with pytest.raises(ConfigError):
        SweepConfig("not a config", GridSampling({"a": choice(1)}))
