"""ASHA and asynchronous HyperBand as a sweep policy (``sweep.policy=asha|hyperband``).

The asynchronous successive halving algorithm (Li et al., 2018,
https://arxiv.org/abs/1810.05934), as Ray Tune's ``AsyncHyperBandScheduler``
implements it. Time is counted in reports of the primary metric (``run.log``
calls, usually epochs). A bracket has rungs at ``grace_period × η^(k + s)`` reports
(η = ``reduction_factor``, s the bracket's index) up to ``max_t``. When a run
reaches a rung, it goes on only if its value there is at least the
``(1 - 1/η)`` quantile (linear interpolation, as ``numpy.nanpercentile``) of the
values that the runs of its bracket had recorded at that rung *before* it got
there; the first run at a rung always goes on. So each rung keeps about the best
1/η of the runs, and no run ever waits for others (asynchronous).

Here the decision is a pure function of the metric files: "before" is read from
the times the reports were logged, so every poll of the sweep watch gives the same
answer, a run whose peers' files arrive late is still compared with exactly the
runs that were ahead of it, and a rung passed stays passed. With ``brackets`` > 1
(``hyperband``), each run is placed in a bracket drawn from its run id with Ray's
weights (softmax of the brackets' rung counts), and compared only within it.
``max_t`` sets the last rung; a run's own length (its epochs) ends it, as always.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

from harness.sweeps.policies import Peer


def rungs(options: dict[str, Any], bracket: int) -> list[float]:
    """Milestones (report counts) of ``bracket``, ascending."""
    min_t, max_t = float(options["grace_period"]), float(options["max_t"])
    rf = float(options["reduction_factor"])
    count = int(math.log(max_t / min_t) / math.log(rf) - bracket + 1)
    return [min_t * rf ** (k + bracket) for k in range(max(0, count))]


def bracket_of(run_id: str, options: dict[str, Any]) -> int:
    """Ray draws a bracket at random with weights e^(rungs - most rungs); here the
    draw is the run id's hash, so every process agrees on it."""
    count = int(options.get("brackets", 1) or 1)
    if count <= 1:
        return 0
    sizes = [len(rungs(options, s)) for s in range(count)]
    weights = [math.exp(size - max(sizes)) for size in sizes]
    draw = int.from_bytes(hashlib.sha256(run_id.encode()).digest()[:8], "big") / 2**64
    total, running = sum(weights), 0.0
    for index, weight in enumerate(weights):
        running += weight / total
        if draw < running:
            return index
    return count - 1


def percentile(values: list[float], q: float) -> float:
    """``numpy.percentile(values, q)`` with its default linear interpolation."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def should_stop(own: Peer, peers: list[Peer], goal: str, options: dict[str, Any]) -> str | None:
    """Why ``own`` should stop (one line), or None."""
    rf = float(options["reduction_factor"])
    sign = 1.0 if goal == "maximize" else -1.0  # Ray compares rewards: -loss for minimize
    bracket = bracket_of(own.run_id, options)
    same_bracket = [p for p in peers if bracket_of(p.run_id, options) == bracket]
    for milestone in rungs(options, bracket):
        step = math.ceil(milestone) - 1  # the report that reaches the milestone
        if step not in own.history:
            return None  # not there yet (a higher rung cannot have been reached)
        arrived = own.times.get(step, math.inf)
        recorded = [
            p.history[step]
            for p in same_bracket
            if step in p.history and p.times.get(step, -math.inf) < arrived
        ]
        if not recorded:
            continue
        cutoff = percentile([sign * v for v in recorded], (1 - 1 / rf) * 100)
        value = own.history[step]
        if sign * value < cutoff:
            kept = f"top 1/{rf:g}"
            return (
                f"{value:.4g} at report {step + 1} (rung {milestone:g}) is not in the {kept} "
                f"of the {len(recorded)} run(s) that reached it first (cutoff {sign * cutoff:.4g})"
            )
    return None
