"""Early-termination rules on hand-made histories: who is stopped, and when."""

from __future__ import annotations

import pytest

from harness.errors import ConfigError
from harness.sweeps import config as sweep_config
from harness.sweeps.policies import Peer, should_stop

BANDIT = {"name": "bandit", "slack_factor": 0.1, "evaluation_interval": 1, "delay_evaluation": 0}


def ramp(scale: float, steps: int) -> dict[int, float]:
    return {s: scale * (s + 1) for s in range(steps)}


def test_bandit_stops_a_run_outside_the_slack_and_keeps_one_inside():
    best = Peer(ramp(1.0, 5))
    assert should_stop(ramp(0.5, 3), [best], "maximize", BANDIT)  # 1.5 < 3 / 1.1
    assert should_stop(ramp(0.95, 3), [best], "maximize", BANDIT) is None  # 2.85 ≥ 2.73


def test_bandit_minimize_and_slack_amount():
    options = {**BANDIT, "slack_factor": None, "slack_amount": 0.2}
    losses = Peer({0: 1.0, 1: 0.5})
    assert should_stop({0: 1.1, 1: 0.8}, [losses], "minimize", options)  # 0.8 > 0.5 + 0.2
    assert should_stop({0: 1.1, 1: 0.6}, [losses], "minimize", options) is None


def test_delay_and_interval_decide_which_reports_are_evaluated():
    best = Peer(ramp(1.0, 6))
    options = {**BANDIT, "delay_evaluation": 3}
    assert should_stop(ramp(0.1, 3), [best], "maximize", options) is None  # still delayed
    assert should_stop(ramp(0.1, 4), [best], "maximize", options)  # 4th report evaluated
    options = {**BANDIT, "evaluation_interval": 2}
    assert should_stop(ramp(0.1, 1), [best], "maximize", options) is None  # report 1: not due


def test_nothing_to_compare_with_means_no_stop():
    assert should_stop(ramp(0.1, 5), [], "maximize", BANDIT) is None
    assert should_stop(ramp(0.1, 5), [Peer({})], "maximize", BANDIT) is None


def test_latest_comparable_step_decides_for_a_lagging_peer():
    # The peer has reached step 1 only: the run is compared at step 1, not at step 4.
    peer = Peer({0: 1.0, 1: 2.0})
    assert should_stop(ramp(0.5, 5), [peer], "maximize", BANDIT)


def test_median_stops_below_the_median_of_running_averages():
    options = {"name": "median", "evaluation_interval": 1, "delay_evaluation": 0}
    peers = [Peer(ramp(1.0, 3)), Peer(ramp(1.2, 3)), Peer(ramp(0.2, 3))]
    assert should_stop(ramp(0.3, 3), peers, "maximize", options)
    assert should_stop(ramp(1.1, 3), peers, "maximize", options) is None


def test_truncation_cuts_the_lowest_share():
    options = {"name": "truncation", "truncation_percentage": 25}
    peers = [Peer({0: 0.9}), Peer({0: 0.8}), Peer({0: 0.7})]
    assert should_stop({0: 0.1}, peers, "maximize", options)  # 4 runs, lowest 1 cut
    assert should_stop({0: 0.75}, peers, "maximize", options) is None
    finished = [Peer({0: 0.9}, finished=True), Peer({0: 0.8}, finished=True), Peer({0: 0.7})]
    excluding = {**options, "exclude_finished_jobs": True}
    assert should_stop({0: 0.1}, finished, "maximize", excluding) is None  # 2 runs: cut 0


@pytest.mark.parametrize(
    "policy, message",
    [
        ({"name": "bandit"}, "exactly one of"),
        ({"name": "bandit", "slack_factor": 0.1, "slack_amount": 1.0}, "exactly one of"),
        ({"name": "truncation", "truncation_percentage": 100}, "between 1 and 99"),
        ({"name": "median", "evaluation_interval": 0}, "evaluation_interval"),
    ],
)
def test_bad_policy_settings_are_refused(policy, message):
    with pytest.raises(ConfigError, match=message):
        sweep_config.validate({"policy": policy})


def test_policy_overrides_become_group_overrides():
    assert sweep_config.normalize_overrides(["sweep.policy=bandit", "a=1"]) == [
        "+sweep/policy=bandit",
        "a=1",
    ]
    assert sweep_config.normalize_overrides(["sweep.policy=none"]) == []
    with pytest.raises(ConfigError, match="unknown sweep.policy 'bandid'"):
        sweep_config.normalize_overrides(["sweep.policy=bandid"])
