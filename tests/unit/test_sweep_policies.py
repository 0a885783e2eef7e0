"""Early-termination rules on hand-made histories: who is stopped, and when."""

from __future__ import annotations

import math
import re

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


# -- ASHA / asynchronous HyperBand ------------------------------------------------

ASHA = {"name": "asha", "grace_period": 1, "reduction_factor": 3, "max_t": 27, "brackets": 1}


def test_asha_keeps_the_best_third_of_the_runs_that_reached_a_rung_first():
    early = [Peer({0: v}, times={0: t}, run_id=f"r{t}") for t, v in enumerate([0.1, 0.5, 0.9])]
    late = {0: 0.6}
    # cutoff: the 67th percentile of 0.1, 0.5, 0.9 is 0.633: 0.6 is below it.
    assert should_stop(late, early, "maximize", ASHA, own_times={0: 10.0}, own_id="late")
    assert should_stop({0: 0.7}, early, "maximize", ASHA, own_times={0: 10.0}) is None
    # Who came later does not count: the first run at a rung always goes on.
    assert should_stop({0: 0.0}, early, "maximize", ASHA, own_times={0: -1.0}) is None


def test_asha_mirrors_the_cutoff_for_minimize_and_waits_for_the_next_rung():
    peers = [Peer({0: v, 2: v}, times={0: 1.0, 2: 2.0}) for v in (1.0, 2.0, 3.0)]
    # Rungs at reports 1, 3, 9, 27: report 2 (step 1) is no rung.
    assert should_stop({0: 1.2}, peers, "minimize", ASHA, own_times={0: 5.0}) is None
    assert should_stop({0: 1.9}, peers, "minimize", ASHA, own_times={0: 5.0})
    own = {0: 1.2, 1: 9.0, 2: 2.5}
    assert should_stop(own, peers, "minimize", ASHA, own_times={0: 5.0, 1: 6.0, 2: 7.0})


def _ray_decisions(arrivals, options, goal):
    """Feed Ray Tune's own ASHA bracket the same reports, in arrival order."""
    from ray.tune.schedulers.async_hyperband import _Bracket

    bracket = _Bracket(options["grace_period"], options["max_t"], options["reduction_factor"], 0)

    class Trial:
        def __init__(self, trial_id):
            self.trial_id = trial_id

    trials, stopped = {}, {}
    for run, step, value in arrivals:
        if run in stopped:
            continue
        trial = trials.setdefault(run, Trial(run))
        reward = value if goal == "maximize" else -value
        if bracket.on_result(trial, step + 1, reward) == "STOP":
            stopped[run] = step
    return stopped


def test_asha_stops_the_same_runs_at_the_same_reports_as_ray_tune():
    import random

    for seed in range(40):
        rng = random.Random(seed)
        goal = rng.choice(["maximize", "minimize"])
        options = {**ASHA, "reduction_factor": rng.choice([2, 3, 4]), "max_t": 16}
        runs = {f"run{i}": [rng.random() for _ in range(16)] for i in range(rng.randint(2, 12))}
        # Reports interleave at random, as parallel jobs' do; each is logged at its turn.
        pending = {run: 0 for run in runs}
        arrivals = []
        while pending:
            run = rng.choice(sorted(pending))
            arrivals.append((run, pending[run], runs[run][pending[run]]))
            pending[run] += 1
            if pending[run] == 16:
                del pending[run]
        expected = _ray_decisions(arrivals, options, goal)
        # The harness: each run's watch sees everything logged so far (ids, times),
        # and a run that is stopped logs nothing more.
        logged: dict[str, Peer] = {run: Peer({}, run_id=run) for run in runs}
        stopped: dict[str, int] = {}
        for clock, (run, step, value) in enumerate(arrivals):
            if run in stopped:
                continue
            logged[run].history[step] = value
            logged[run].times[step] = float(clock)
            own = logged[run]
            peers = [p for name, p in logged.items() if name != run]
            if should_stop(own.history, peers, goal, options, own_times=own.times, own_id=run):
                stopped[run] = step
        assert stopped == expected, seed


def test_hyperband_places_each_run_in_one_bracket_with_rays_weights():
    from harness.sweeps import asha

    options = {**ASHA, "name": "hyperband", "max_t": 81, "brackets": 3}
    assert [asha.rungs(options, s) for s in range(3)] == [
        [1, 3, 9, 27, 81], [3, 9, 27, 81], [9, 27, 81],
    ]  # fmt: skip
    counts = [0, 0, 0]
    for i in range(3000):
        counts[asha.bracket_of(f"20261206-120000-{i:06x}", options)] += 1
    # e^0 : e^-1 : e^-2 of the draws (Ray's softmax of rung counts 5, 4, 3).
    total = sum(math.exp(-k) for k in range(3))
    for k, count in enumerate(counts):
        assert abs(count / 3000 - math.exp(-k) / total) < 0.03, counts


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"grace_period": 0}, "1 ≤ grace_period ≤ max_t"),
        ({"max_t": 0}, "1 ≤ grace_period ≤ max_t"),
        ({"reduction_factor": 1}, "greater than 1"),
        ({"brackets": 9}, "brackets (asha) must be between 1 and"),
        ({"delay_evaluation": 2}, "use sweep.policy.grace_period"),
    ],
)
def test_asha_settings_are_checked_before_the_sweep(override, message):
    policy = {**ASHA, "evaluation_interval": 1, "delay_evaluation": 0, **override}
    with pytest.raises(ConfigError, match=re.escape(message)):
        sweep_config.validate({"policy": policy})
