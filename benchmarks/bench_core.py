"""Core claims: run.log throughput, and CLI start-up against plain imports.

- run.log calls per second, in-process (target ≥ 200,000/s): a live run writing
  to a temporary workspace, the flush included in the time.
- `harness --help` and `harness train --cfg job` wall time, as ratios to
  `python -c "import sklearn"` (and `import hydra`), alternated in one run.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from _common import alternate, parser, record, stats, time_command


def log_rate(calls: int) -> float:
    from harness.contract.context import Run
    from harness.contract.jobspec import JobSpec
    from harness.run.store import RunStore

    with tempfile.TemporaryDirectory() as home:
        store = RunStore(Path(home))
        rec = store.create(experiment="bench", estimator="none", compute="none", params={})
        spec = JobSpec(rec.id, str(rec.path), "bench", "none", "none", params={})
        run = Run(spec)
        started = time.perf_counter()
        for i in range(calls):
            run.log("loss", 0.5, step=i)
        run.close()
        return calls / (time.perf_counter() - started)


def main() -> None:
    opts = parser(__doc__).parse_args()
    calls = 50_000 if opts.quick else 1_000_000
    repeats = 3 if opts.quick else 7
    rates = [log_rate(calls) for _ in range(repeats)]

    exe = str(Path(sys.executable).with_name("harness"))
    env = {**os.environ, "HARNESS_HOME": tempfile.mkdtemp(prefix="bench-home-")}
    samples = alternate(
        {
            "harness --help": lambda: time_command([exe, "--help"], env),
            "harness train --cfg job": lambda: time_command([exe, "train", "--cfg", "job"], env),
            "python -c 'import sklearn'": lambda: time_command(
                [sys.executable, "-c", "import sklearn"], env
            ),
            "python -c 'import hydra'": lambda: time_command(
                [sys.executable, "-c", "import hydra"], env
            ),
        },
        repeats,
    )
    base = stats(samples["python -c 'import sklearn'"])["median"]
    figures = {
        "run_log_calls_per_s": stats(rates),
        "run_log_target_per_s": 200_000,
        "startup_s": {name: stats(values) for name, values in samples.items()},
        "ratio_help_to_import_sklearn": stats(samples["harness --help"])["median"] / base,
        "ratio_cfg_job_to_import_sklearn": stats(samples["harness train --cfg job"])["median"]
        / base,
        "ratio_cfg_job_to_import_hydra": stats(samples["harness train --cfg job"])["median"]
        / stats(samples["python -c 'import hydra'"])["median"],
    }
    record(opts.results, "core", figures, opts.quick)


if __name__ == "__main__":
    main()
