"""Sweeps: the joblib launcher against the sequential basic launcher, the
per-job harness overhead, sweeps at scale, and what early termination saves.

- Eight small scikit-learn runs (LogisticRegression on digits, eight values of C)
  as one `harness train -m` sweep: the basic launcher (one job at a time) against
  `hydra/launcher=joblib hydra.launcher.n_jobs=2`, alternated, in one run.
  Target: speed-up ≥ 1.7× on 2 cores.
- Per-job harness overhead: a job's wall time (run created → ended, from its
  run record) minus its training time (the `train_time` metric the sklearn
  estimator logs around `fit`).
- At scale (`--jobs`, default 1,000): that many jobs of 0.1 s (the `probe`
  estimator sleeping 0.1 s) on joblib with n_jobs=2, against the ideal
  jobs × 0.1 s / 2. Target: within 15 % of ideal. Beside it, the plain tools on the
  same sweep: a Hydra app whose task sleeps 0.1 s, swept with Hydra's own joblib
  launcher, and joblib alone calling time.sleep (no records, no job processes).
- Start-up against sweep size (10, 100, 1,000 jobs): seconds from the command's
  start to the first run's record. Hydra composes every job of the batch before the
  first starts (the sweeper's check), so the growth of this time with the size is
  what composing costs a job (`compose_ms_per_job`, between the two largest sizes).
  Target: ≤ 5 ms per job. Beside it, what a stopped sweep costs per job after the
  first: the first fails on purpose, `sweep.fail_fast` stops the sweep, and the rest
  are recorded as not started (`per_job_after_first_ms`).
- Early termination, ASHA and HyperBand against the median policy and none: 16
  script jobs with learning curves fixed in advance (27 reports each, 0.05 s apart),
  joblib n_jobs=2: the compute spent (reports made in all, and trial-seconds: the
  runs' started → ended summed), the runs stopped early, and the best final value,
  per policy.
  Target: ASHA (and HyperBand) save compute against the median policy at the same
  best value.

    python benchmarks/bench_sweeps.py [--quick] [--rounds N] [--jobs N] [--only PART]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from _common import alternate, parser, record, rounds, scratch_dir, stats, time_command

C_VALUES = ["0.001", "0.003", "0.01", "0.03", "0.1", "0.3", "1", "3"]


def harness() -> str:
    return str(Path(sys.executable).with_name("harness"))


def sweep(launcher: list[str], runs: int, overheads: list[float]) -> float:
    """Wall time of one sweep of `runs` jobs; appends each job's overhead."""
    home = str(scratch_dir("bench-sweeps-"))
    env = {**os.environ, "HARNESS_HOME": home}
    cmd = [harness(), "train", "-m", f"estimator.C={','.join(C_VALUES[:runs])}", *launcher]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"sweep failed:\n{proc.stdout}\n{proc.stderr}")
    for run_json in Path(home, "runs").glob("*/run.json"):
        data = json.loads(run_json.read_text())
        span = (
            datetime.fromisoformat(data["ended"]) - datetime.fromisoformat(data["created"])
        ).total_seconds()
        overheads.append(span - float(data["metrics"]["train_time"]))
    return wall


PROBE = ["+estimator=probe", "estimator.score=0.5"]
JOBLIB = ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"]


def _run_times(home: Path) -> list[dict[str, float]]:
    out = []
    for run_json in Path(home, "runs").glob("*/run.json"):
        data = json.loads(run_json.read_text())
        stamp = {k: datetime.fromisoformat(data[k]).timestamp() for k in ("created", "ended")}
        out.append(stamp)
    return out


def _sweep(args: list[str], env_extra: dict[str, str] | None = None) -> tuple[float, float, Path]:
    """(wall seconds, the command's start as a timestamp, HARNESS_HOME) of one sweep."""
    home = scratch_dir("bench-sweeps-")
    env = {**os.environ, "HARNESS_HOME": str(home), "HARNESS_PLUGINS": "harness.testing.probe"}
    env.update(env_extra or {})
    started_at = time.time()
    started = time.perf_counter()
    proc = subprocess.run(
        [harness(), "train", "-m", *args], capture_output=True, text=True, env=env
    )
    wall = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"sweep failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return wall, started_at, home


# The plain tools for the same sweep: a Hydra app whose task sleeps, swept with
# Hydra's own joblib launcher (its defaults: each job's .hydra/ configs and log
# file), and joblib alone calling time.sleep: no records, no job process.
PLAIN_HYDRA_APP = """
import time
import hydra

@hydra.main(version_base=None, config_path=None)
def main(cfg):
    time.sleep(cfg.seconds)
    return 0.5

if __name__ == "__main__":
    main()
"""
PLAIN_JOBLIB = (
    "import time\n"
    "from joblib import Parallel, delayed\n"
    "Parallel(n_jobs=2)(delayed(time.sleep)({seconds}) for _ in range({jobs}))\n"
)


def at_scale(jobs: int, seconds: float = 0.1) -> dict[str, object]:
    wall, _, home = _sweep(
        [*PROBE, f"estimator.seconds={seconds}", f"+estimator.n=range(0,{jobs})", *JOBLIB]
    )
    runs = _run_times(home)
    ideal = jobs * seconds / 2
    folder = scratch_dir("bench-sweeps-plain-")
    (folder / "app.py").write_text(PLAIN_HYDRA_APP)
    hydra_wall = time_command(
        [sys.executable, "app.py", "-m", f"+seconds={seconds}", f"+n=range(0,{jobs})",
         *JOBLIB, f"hydra.sweep.dir={folder / 'multirun'}"],
        cwd=folder,
    )  # fmt: skip
    joblib_wall = time_command(
        [sys.executable, "-c", PLAIN_JOBLIB.format(seconds=seconds, jobs=jobs)], cwd=folder
    )
    return {
        "jobs": jobs,
        "job_seconds": seconds,
        "wall_s": wall,
        "ideal_s": ideal,
        "ratio_to_ideal": wall / ideal,
        "runs_recorded": len(runs),
        "per_job_wall_s": stats([r["ended"] - r["created"] for r in runs]),
        "target_ratio": 1.15,
        "plain_hydra_joblib_wall_s": hydra_wall,
        "plain_hydra_joblib_ratio_to_ideal": hydra_wall / ideal,
        "plain_joblib_sleep_wall_s": joblib_wall,
        "plain_joblib_sleep_ratio_to_ideal": joblib_wall / ideal,
    }


def startup(sizes: list[int]) -> dict[str, object]:
    figures: dict[str, object] = {}
    for size in sizes:
        wall, started_at, home = _sweep(
            [
                *PROBE,
                "estimator.exit_code=1",
                f"+estimator.n=range(0,{size})",
                "sweep.fail_fast=true",
                *JOBLIB,
            ]
        )
        runs = _run_times(home)
        first = min(r["created"] for r in runs) - started_at
        figures[str(size)] = {
            "to_first_run_s": first,
            "wall_s": wall,
            "per_job_after_first_ms": (wall - first) / size * 1000,
        }
    small, large = sorted(sizes)[-2:]
    growth = figures[str(large)]["to_first_run_s"] - figures[str(small)]["to_first_run_s"]  # type: ignore[index]
    return {
        "by_size": figures,
        "compose_ms_per_job": growth / (large - small) * 1000,
        "target_per_job_ms": 5,
    }


# A job whose learning curve is fixed in advance by its `quality` (0..1): the score
# after r reports rises towards the quality, so a run's rank never changes over time
# and both policies must keep the best one to its end.
CURVE_SCRIPT = """
import argparse, time
from harness import Run

parser = argparse.ArgumentParser()
parser.add_argument("--quality", type=float)
parser.add_argument("--pause", type=float)
args = parser.parse_args()
run = Run.get_context()
for step in range(27):
    run.log("score", args.quality * (1 - 0.8 ** (step + 1)), step=step)
    time.sleep(args.pause)
"""


def early_termination(repeats: int, runs: int, pause: float = 0.05) -> dict[str, object]:
    src = scratch_dir("bench-sweeps-src-")
    (src / "curve.py").write_text(CURVE_SCRIPT)
    qualities = ",".join(f"{(i * 7 % runs) / runs + 0.01:.3f}" for i in range(runs))
    base = [
        "+estimator=script",
        f"estimator.source_directory={src}",
        "estimator.entry_script=curve.py",
        f"+estimator.script_params.quality={qualities}",
        f"+estimator.script_params.pause={pause}",
        "sweep.metric=score",
        "sweep.goal=maximize",
        *JOBLIB,
    ]
    policies = {
        "median": ["sweep.policy=median", "sweep.policy.delay_evaluation=3"],
        "asha": ["sweep.policy=asha", "sweep.policy.grace_period=3", "sweep.policy.max_t=27"],
        "hyperband": [
            "sweep.policy=hyperband",
            "sweep.policy.grace_period=3",
            "sweep.policy.max_t=27",
            "sweep.policy.brackets=2",  # as many as rungs from 3 to 27 allow
        ],
        "none": [],
    }
    reports: dict[str, list[float]] = {name: [] for name in policies}
    trial_s: dict[str, list[float]] = {name: [] for name in policies}
    stopped: dict[str, list[float]] = {name: [] for name in policies}
    best: dict[str, list[float]] = {name: [] for name in policies}

    def one(name: str) -> float:
        wall, _, home = _sweep([*base, *policies[name]])
        total, top, seconds, early = 0, float("-inf"), 0.0, 0
        for run_dir in Path(home, "runs").iterdir():
            data = json.loads((run_dir / "run.json").read_text())
            seconds += (
                datetime.fromisoformat(data["ended"]) - datetime.fromisoformat(data["started"])
            ).total_seconds()
            early += str(data.get("error") or "").startswith("early-terminated")
            for metrics_file in run_dir.glob("metrics/*.jsonl"):
                lines = [json.loads(x) for x in metrics_file.read_text().splitlines()]
                scores = [x for x in lines if x["name"] == "score"]
                total += len(scores)
                if len(scores) == 27:
                    top = max(top, scores[-1]["value"])
        reports[name].append(total)
        trial_s[name].append(seconds)
        stopped[name].append(early)
        best[name].append(top)
        return wall

    walls = alternate({name: (lambda n=name: one(n)) for name in policies}, repeats)
    return {
        "runs": runs,
        "reports_per_run": 27,
        "seconds_between_reports": pause,
        "reports_in_all": {name: stats(values) for name, values in reports.items()},
        "trial_seconds": {name: stats(values) for name, values in trial_s.items()},
        "runs_stopped_early": {name: stats(values) for name, values in stopped.items()},
        "best_final_value": {name: stats(values) for name, values in best.items()},
        "same_best_in_every_round": all(
            len({best[name][i] for name in policies}) == 1 for i in range(repeats)
        ),
        "wall_s": {name: stats(values) for name, values in walls.items()},
        "asha_reports_saved_vs_median": 1
        - stats(reports["asha"])["median"] / stats(reports["median"])["median"],
        "asha_trial_seconds_saved_vs_median": 1
        - stats(trial_s["asha"])["median"] / stats(trial_s["median"])["median"],
        "hyperband_reports_saved_vs_median": 1
        - stats(reports["hyperband"])["median"] / stats(reports["median"])["median"],
        "hyperband_trial_seconds_saved_vs_median": 1
        - stats(trial_s["hyperband"])["median"] / stats(trial_s["median"])["median"],
    }


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--jobs", type=int, default=None, help="jobs of the at-scale sweep")
    p.add_argument(
        "--only",
        default="launchers,scale,startup,early",
        help="comma-separated parts: launchers, scale, startup, early",
    )
    opts = p.parse_args()
    parts = set(opts.only.split(","))
    figures: dict[str, object] = {
        "cpus": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
    }
    if "launchers" in parts:
        figures["launchers"] = launchers(opts)
    if "scale" in parts:
        figures["at_scale"] = at_scale(opts.jobs or (10 if opts.quick else 1000))
    if "startup" in parts:
        figures["startup"] = startup([5, 10] if opts.quick else [10, 100, 1000])
    if "early" in parts:
        figures["early_termination"] = early_termination(
            rounds(opts, 1, 3), *((4, 0.01) if opts.quick else (16, 0.05))
        )
    record(opts.results, "sweeps", figures, opts.quick)


def launchers(opts: object) -> dict[str, object]:
    runs = 2 if getattr(opts, "quick", False) else 8
    repeats = rounds(opts, 1, 3)  # type: ignore[arg-type]
    overhead: dict[str, list[float]] = {"basic": [], "joblib": []}
    samples = alternate(
        {
            "basic": lambda: sweep([], runs, overhead["basic"]),
            "joblib": lambda: sweep(JOBLIB, runs, overhead["joblib"]),
        },
        repeats,
    )
    basic, joblib = stats(samples["basic"]), stats(samples["joblib"])
    return {
        "runs_per_sweep": runs,
        "sweep_wall_s": {"basic launcher": basic, "joblib n_jobs=2": joblib},
        "speedup_joblib_vs_basic": basic["median"] / joblib["median"],
        "per_job_overhead_s": {
            "basic launcher": stats(overhead["basic"]),
            "joblib n_jobs=2": stats(overhead["joblib"]),
        },
        "target_speedup": 1.7,
    }


if __name__ == "__main__":
    main()
