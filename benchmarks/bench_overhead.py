"""What the harness adds to a whole run, per estimator, against the same work as a
plain script.

Target (issue 18): ``harness train`` with sklearn, pytorch and chainer at their
defaults (digits) each take at most the plain script's time + 0.5 s, whole process
(start-up, composition, the driver, the job process, training, the final status).
The plain side is ``plain_train.py``: the same data, split, model, optimizer,
epochs, per-epoch validation and checkpoints, written the usual way. Sides are
alternated, each round a fresh process of each.

A third side runs the harness with ``HARNESS_EARLY_WORKER=0`` (the job's process
started after composing, as before harness/contract/early_worker.py), so the same run
shows what starting it early buys.

For the harness side the run's output is read as it comes, so the script also
reports how long after the last training line the process ended (``tail_s``:
final flush, loggers, status and exit; the issue measured 1.03 s for pytorch).

    python benchmarks/bench_overhead.py            # 5 rounds per estimator
    python benchmarks/bench_overhead.py --quick    # 1 round, CI
    python benchmarks/bench_overhead.py --only chainer --rounds 12
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import HERE, parser, record, scratch_dir, stats
from _common import rounds as rounds_of

ESTIMATORS = {
    "sklearn": [],  # the embedded default
    "pytorch": ["+estimator=pytorch"],
    "chainer": ["+estimator=chainer"],
}
TARGET_S = 0.5


def harness_side(args: list[str], env: dict[str, str]) -> tuple[float, float | None]:
    """(whole wall time, seconds from the last training line to the exit)."""
    harness = Path(sys.executable).with_name("harness")
    cmd = [str(harness) if harness.exists() else "harness", "train", *args]
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    last_training = None
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith(("[epoch", "[metrics]", "training ")):
            last_training = time.perf_counter()
    code = proc.wait()
    ended = time.perf_counter()
    if code != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {code}")
    return ended - started, (ended - last_training) if last_training else None


def plain_side(which: str, out: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, str(HERE / "plain_train.py"), which, str(out)],
        check=True,
        capture_output=True,
        env=env,
    )
    return time.perf_counter() - started


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--only", choices=sorted(ESTIMATORS), action="append", help="these only")
    args = p.parse_args()
    rounds = rounds_of(args, quick=1, full=5)
    work = scratch_dir("harness-bench-overhead-")
    env = {**os.environ, "HARNESS_HOME": str(work / "home"), "PYTHONWARNINGS": "ignore"}
    figures: dict[str, dict] = {}
    for which, overrides in ESTIMATORS.items():
        if args.only and which not in args.only:
            continue
        wall: dict[str, list[float]] = {"harness": [], "plain": [], "late": []}
        tails: list[float] = []
        for round_no in range(rounds):
            order = ["harness", "plain", "late"]
            order = order[round_no % 3 :] + order[: round_no % 3]  # rotate: no side always first
            for side in order:
                if side == "harness":
                    seconds, tail = harness_side(overrides, env)
                    if tail is not None:
                        tails.append(tail)
                elif side == "late":  # the job process started after composing
                    seconds, _ = harness_side(overrides, {**env, "HARNESS_EARLY_WORKER": "0"})
                else:
                    seconds = plain_side(which, work / f"plain-{which}", env)
                wall[side].append(seconds)
        added = statistics.median(wall["harness"]) - statistics.median(wall["plain"])
        late = statistics.median(wall["late"]) - statistics.median(wall["plain"])
        figures[which] = {
            "harness_s": stats(wall["harness"]),
            "plain_s": stats(wall["plain"]),
            "harness_without_early_worker_s": stats(wall["late"]),
            "added_without_early_worker_s": round(late, 3),
            "added_s": round(added, 3),
            "target_added_s": TARGET_S,
            "met": added <= TARGET_S,
            "tail_after_training_s": stats(tails) if tails else None,
        }
    record(args.results, "overhead", figures, args.quick)


if __name__ == "__main__":
    main()
