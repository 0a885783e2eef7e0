"""Sweeps: the joblib launcher against the sequential basic launcher, and the
per-job harness overhead.

- Eight small scikit-learn runs (LogisticRegression on digits, eight values of C)
  as one `harness train -m` sweep: the basic launcher (one job at a time) against
  `hydra/launcher=joblib hydra.launcher.n_jobs=2`, alternated, in one run.
  Target: speed-up ≥ 1.7× on 2 cores.
- Per-job harness overhead: a job's wall time (run created → ended, from its
  run record) minus its training time (the `train_time` metric the sklearn
  estimator logs around `fit`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from _common import alternate, parser, record, stats

C_VALUES = ["0.001", "0.003", "0.01", "0.03", "0.1", "0.3", "1", "3"]


def harness() -> str:
    return str(Path(sys.executable).with_name("harness"))


def sweep(launcher: list[str], runs: int, overheads: list[float]) -> float:
    """Wall time of one sweep of `runs` jobs; appends each job's overhead."""
    home = tempfile.mkdtemp(prefix="bench-sweeps-")
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


def main() -> None:
    opts = parser(__doc__).parse_args()
    runs = 2 if opts.quick else 8
    load_before = os.getloadavg()[0]
    repeats = 1 if opts.quick else 3
    overhead: dict[str, list[float]] = {"basic": [], "joblib": []}
    samples = alternate(
        {
            "basic": lambda: sweep([], runs, overhead["basic"]),
            "joblib": lambda: sweep(
                ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"], runs, overhead["joblib"]
            ),
        },
        repeats,
    )
    basic, joblib = stats(samples["basic"]), stats(samples["joblib"])
    figures = {
        "runs_per_sweep": runs,
        "sweep_wall_s": {"basic launcher": basic, "joblib n_jobs=2": joblib},
        "speedup_joblib_vs_basic": basic["median"] / joblib["median"],
        "per_job_overhead_s": {
            "basic launcher": stats(overhead["basic"]),
            "joblib n_jobs=2": stats(overhead["joblib"]),
        },
        "target_speedup": 1.7,
        # Other work on the machine skews both sides; the 1-minute load shows how much.
        "loadavg_1min": {"before": load_before, "after": os.getloadavg()[0]},
        "cpus": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
    }
    record(opts.results, "sweeps", figures, opts.quick)


if __name__ == "__main__":
    main()
