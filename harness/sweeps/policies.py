"""Early-termination policies (Azure ML HyperDrive's Bandit, median stopping and
truncation selection; ASHA and asynchronous HyperBand, Ray Tune's strongest
schedulers), as pure functions of metric histories.

A history is ``{step: value}`` of the primary metric. A run is evaluated at the
reports whose count (step + 1) is past ``delay_evaluation`` and a multiple of
``evaluation_interval``, against the other runs of the sweep that reported the
same step. The latest such step that has something to compare with decides; a
parallel run that lags behind is compared as soon as its data arrive.

ASHA (``asha.py``) decides at rungs instead, against the runs that reached each
rung *before* this one (the times of the reports say which), as Ray Tune's
``AsyncHyperBandScheduler`` does; a decision once made never changes.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

History = dict[int, float]


@dataclass
class Peer:
    history: History
    finished: bool = False
    #: step → when that report was logged (time.time()); empty: unknown (earlier).
    times: dict[int, float] = field(default_factory=dict)
    run_id: str = ""


def _evaluation_steps(own: History, options: dict[str, Any]) -> list[int]:
    interval = int(options.get("evaluation_interval", 1) or 1)
    delay = int(options.get("delay_evaluation", 0) or 0)
    return sorted((s for s in own if s + 1 > delay and (s + 1) % interval == 0), reverse=True)


def _better(goal: str) -> Callable[[float, float], bool]:
    """better(a, b): a is strictly better than b for this goal."""
    return (lambda a, b: a > b) if goal == "maximize" else (lambda a, b: a < b)


def bandit(
    own: History, peers: list[Peer], goal: str, options: dict[str, Any], step: int
) -> str | None:
    values = [p.history[step] for p in peers if step in p.history]
    if not values:
        return None
    value = own[step]
    best = max(values + [value]) if goal == "maximize" else min(values + [value])
    factor, amount = options.get("slack_factor"), options.get("slack_amount")
    if factor is not None:
        limit = best / (1 + factor) if goal == "maximize" else best * (1 + factor)
        slack = f"slack_factor {factor}"
    elif amount is not None:
        limit = best - amount if goal == "maximize" else best + amount
        slack = f"slack_amount {amount}"
    else:
        return None  # (validated earlier: the bandit policy needs one of them)
    if _better(goal)(limit, value):
        return f"{value:.4g} at step {step} is outside the {slack} of the best run ({best:.4g})"
    return None


def median(
    own: History, peers: list[Peer], goal: str, options: dict[str, Any], step: int
) -> str | None:
    averages = []
    for peer in peers:
        upto = [v for s, v in peer.history.items() if s <= step]
        if step in peer.history:
            averages.append(sum(upto) / len(upto))
    if not averages:
        return None
    mid = statistics.median(averages)
    upto_own = [v for s, v in own.items() if s <= step]
    best_own = max(upto_own) if goal == "maximize" else min(upto_own)
    if _better(goal)(mid, best_own):
        return (
            f"its best {best_own:.4g} by step {step} is worse than the median "
            f"({mid:.4g}) of the other runs' running averages"
        )
    return None


def truncation(
    own: History, peers: list[Peer], goal: str, options: dict[str, Any], step: int
) -> str | None:
    if options.get("exclude_finished_jobs"):
        peers = [p for p in peers if not p.finished]
    values = [p.history[step] for p in peers if step in p.history]
    if not values:
        return None
    percentage = int(options.get("truncation_percentage", 10))
    count = len(values) + 1
    cut = count * percentage // 100
    value = own[step]
    better = _better(goal)
    ahead = sum(1 for v in values if better(v, value))
    if cut >= 1 and ahead >= count - cut:
        return (
            f"{value:.4g} at step {step} is in the lowest {percentage}% "
            f"of {count} runs at that step"
        )
    return None


RULES = {"bandit": bandit, "median": median, "truncation": truncation}


def should_stop(
    own: History,
    peers: list[Peer],
    goal: str,
    options: dict[str, Any],
    *,
    own_times: dict[int, float] | None = None,
    own_id: str = "",
) -> str | None:
    """Why the run should stop now (one line), or None to let it go on."""
    if options["name"] in ("asha", "hyperband"):
        from harness.sweeps import asha

        return asha.should_stop(Peer(own, False, own_times or {}, own_id), peers, goal, options)
    rule = RULES[options["name"]]
    for step in _evaluation_steps(own, options):
        if any(
            step in p.history
            for p in peers
            if not (options.get("exclude_finished_jobs") and p.finished)
        ):
            return rule(own, peers, goal, options, step)
    return None
