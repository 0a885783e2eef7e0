"""System metrics claim: sampling the job's processes and the machine every second
costs < 1 % of a CPU-bound job.

A script-mode job burns a fixed amount of CPU (`--cpu-s`, default 10 s of a pure
Python loop). Two sides, alternated round by round: `harness train` with the
system metrics on (every second, the default) and off
(`HARNESS_SYSTEM_METRICS_INTERVAL=0`). Figures: the sampler's own CPU seconds as
the run records them (`sampler_cpu_s` in its `system/samples.jsonl`) against the
job's CPU time (its run's `system.cpu_time_s`), which does not depend on the
machine's load; and the paired wall-time ratio on/off with its interval, which
does.

    python benchmarks/bench_system_metrics.py [--quick] [--rounds N] [--cpu-s S]
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

from _common import alternate, paired, parser, record, rounds, scratch_dir, stats

BURN = """
import time
from harness import Run
spent = time.process_time()
while time.process_time() - spent < {seconds}:
    sum(i * i for i in range(10_000))
Run.get_context().log("score", 1.0)
"""


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--cpu-s", type=float, default=None, help="CPU seconds the job burns")
    opts = p.parse_args()
    seconds = opts.cpu_s or (2.0 if opts.quick else 10.0)
    repeats = rounds(opts, 2, 7)
    work = scratch_dir("bench-system-")
    src = work / "src"
    src.mkdir()
    (src / "burn.py").write_text(BURN.format(seconds=seconds))
    exe = str(Path(sys.executable).with_name("harness"))
    overhead: list[float] = []
    sampler: list[float] = []

    def side(interval: str) -> float:
        import subprocess

        home = Path(tempfile.mkdtemp(dir=work))
        env = {**os.environ, "HARNESS_HOME": str(home), "HARNESS_SYSTEM_METRICS_INTERVAL": interval}
        cmd = [exe, "train", "+estimator=script", f"estimator.source_directory={src}",
               "estimator.entry_script=burn.py", "estimator.primary_metric=score"]  # fmt: skip
        started = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env=env, cwd=work)
        wall = time.perf_counter() - started
        if interval != "0":
            (run_dir,) = (home / "runs").glob("2*")
            record_ = json.loads((run_dir / "run.json").read_text())
            lines = (run_dir / "system" / "samples.jsonl").read_text().splitlines()
            end = json.loads(lines[-1])
            sampler.append(end["sampler_cpu_s"])
            overhead.append(end["sampler_cpu_s"] / record_["system"]["cpu_time_s"])
        return wall

    samples = alternate({"on (every 1 s)": lambda: side("1"), "off": lambda: side("0")}, repeats)
    figures = {
        "job_cpu_s": seconds,
        "wall_s": {name: stats(values) for name, values in samples.items()},
        "paired_wall_ratio_on_to_off": paired(samples, "on (every 1 s)", "off", ratio=True),
        "sampler_cpu_s": stats(sampler),
        "sampler_cpu_share_of_job_cpu": stats(overhead),
        "target_share": 0.01,
    }
    record(opts.results, "system_metrics", figures, opts.quick)


if __name__ == "__main__":
    main()
