"""Environment claims (issue 16).

- **Cached environment start-up:** ``harness train`` of a tiny script (it logs one
  metric) with an environment that is already built, against the same run without
  an environment; alternated, a fresh process each time (target: < 0.3 s more).
- **First build of a one-package environment** (``tabulate==0.9.0``) into a new
  workspace: with uv's cache already holding the wheel (the usual case after the
  first download: uv links files from its cache), and with an empty uv cache
  (downloads from PyPI). Measured through ``Environment.build`` (resolve, lock,
  ``uv venv``, ``uv pip install``, ``uv pip freeze``, rename).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from _common import alternate, parser, record, stats, time_command
from _common import rounds as rounds_of

SCRIPT = """
from harness import Run
Run.get_context().log("accuracy", 1.0)
"""
PACKAGE = "tabulate==0.9.0"


def build_once(home: Path, cache: Path) -> float:
    """Seconds for a first build in a fresh process (what `harness envs build` does)."""
    code = textwrap.dedent(
        f"""
        import time
        from harness.envs.build import ensure_built
        from harness.envs.resolve import resolve
        from harness.envs.spec import from_mapping
        from pathlib import Path
        started = time.perf_counter()
        ensure_built(resolve(from_mapping({{"pip_packages": [{PACKAGE!r}]}})), Path({str(home)!r}), quiet=True)
        print(time.perf_counter() - started)
        """
    )
    env = {**os.environ, "HARNESS_HOME": str(home), "UV_CACHE_DIR": str(cache)}
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    cli = parser(__doc__.splitlines()[0])
    cli.add_argument(
        "--startup-only", action="store_true", help="only the cached start-up comparison"
    )
    args = cli.parse_args()
    rounds = rounds_of(args, quick=2, full=20)
    load_before = os.getloadavg()
    builds = 1 if args.quick else 5
    exe = str(Path(sys.executable).with_name("harness"))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        src = root / "src"
        src.mkdir()
        (src / "train.py").write_text(SCRIPT)
        home, cache = root / "home", root / "uv-cache"
        env = {**os.environ, "HARNESS_HOME": str(home), "UV_CACHE_DIR": str(cache)}
        base = [exe, "train", "+estimator=script", f"estimator.source_directory={src}",
                "estimator.entry_script=train.py", "logger=[]"]  # fmt: skip
        with_env = [*base, f"+estimator.environment.pip_packages=[{PACKAGE}]"]
        time_command(with_env, env)  # builds it (and fills uv's cache)
        time_command(base, env)  # warm the page cache for both sides
        cpu: dict[str, list[float]] = {"no environment": [], "cached environment": []}

        def timed(name: str, cmd: list[str]) -> float:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            wall = time_command(cmd, env)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[name].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
            return wall

        samples = alternate(
            {
                "no environment": lambda: timed("no environment", base),
                "cached environment": lambda: timed("cached environment", with_env),
            },
            rounds,
        )

        parts = {} if args.startup_only else overhead_parts(home, cache, rounds * 2)

        warm: list[float] = []
        cold: list[float] = []
        for n in range(0 if args.startup_only else builds):
            warm.append(build_once(root / f"warm-{n}", cache))
            cold.append(build_once(root / f"cold-{n}", root / f"empty-cache-{n}"))
            time.sleep(0.1)

    load_after = os.getloadavg()
    paired = [
        with_env - without
        for with_env, without in zip(
            samples["cached environment"], samples["no environment"], strict=True
        )
    ]
    figures = {
        # The machine is shared: the 1/5/15-minute load averages before and after.
        "load_average": {"before": list(load_before), "after": list(load_after)},
        "startup_s": {name: stats(values) for name, values in samples.items()},
        "cached_env_overhead_s": statistics_difference(samples),
        # Each round ran both sides back to back: the per-round difference cancels
        # slow drifts of the machine's load better than the difference of medians.
        "paired_difference_s": stats(paired),
        # How well the runs pin the paired median down (bootstrap, 95 %): the
        # target is shown only when the whole interval lies below 0.3 s.
        "paired_median_ci95_s": bootstrap_median_ci(paired),
        # CPU seconds of the whole process tree (driver, worker, script): steadier
        # than wall time on a shared machine.
        "startup_cpu_s": {name: stats(values) for name, values in cpu.items()},
        "cached_env_overhead_cpu_s": statistics_difference(cpu),
        # The environment's own share, piece by piece (small, so less exposed to
        # the machine's noise than two whole runs).
        "parts_s": parts,
        "first_build_s": {
            "uv cache holds the wheel": stats(warm),
            "empty uv cache (download from PyPI)": stats(cold),
        }
        if warm
        else {},
        # Every sample, in round order, so the spread can be read, not just summarised.
        "samples_s": samples,
    }
    record(args.results, "envs", figures, args.quick)
    for name, value in figures["startup_s"].items():
        print(
            f"harness train, {name}: {value['median']:.3f} s ({value['min']:.3f}-{value['max']:.3f})"
        )
    print(f"cached environment adds {figures['cached_env_overhead_s']:.3f} s (target < 0.3 s)")
    paired = figures["paired_difference_s"]
    print(
        f"... paired per round: median {paired['median']:.3f} s "
        f"({paired['min']:.3f} to {paired['max']:.3f})"
    )
    low, high = figures["paired_median_ci95_s"]
    print(f"... 95 % interval of the paired median: {low:.3f} to {high:.3f} s")
    print(f"load average before {load_before}, after {load_after}")
    print(f"... in CPU time of the process tree: {figures['cached_env_overhead_cpu_s']:.3f} s")
    for name, value in parts.items():
        print(f"part: {name}: {value['median']:.4f} s ({value['min']:.4f}-{value['max']:.4f})")
    for name, value in figures["first_build_s"].items():
        print(
            f"first build, {name}: {value['median']:.3f} s ({value['min']:.3f}-{value['max']:.3f})"
        )


DRIVER_CODE = """
import time
from pathlib import Path
from types import SimpleNamespace
from omegaconf import OmegaConf
from harness.contract.manager import get_plugin_manager
from harness.run.store import RunStore
# What the driver has done anyway: config composed, plugins loaded, record created.
get_plugin_manager()
cfg = OmegaConf.create({"estimator": {"environment": {"pip_packages": [PACKAGE]}}})
home = Path(HOME)
store = RunStore(home)
record = store.create(experiment="bench", estimator="script", compute="local",
                      params={}, overrides=[], tags={}, provenance={})
started, cpu = time.perf_counter(), time.process_time()
from harness.envs import runtime
resolved = runtime.for_config(cfg, home)
job = SimpleNamespace(logs_dir=record.path / "logs", python="", save=lambda: None)
built = runtime.prepare_run(resolved, job, home)
store.update(record.id, lambda r: r.provenance.update(environment=built.provenance()))
print(time.perf_counter() - started, time.process_time() - cpu)
print(job.python)
"""


def overhead_parts(home: Path, cache: Path, repeats: int) -> dict[str, dict[str, float]]:
    """What a cached environment adds, piece by piece: the driver's import of
    harness.envs, lookup and record update (in a fresh process, timed inside it),
    and the interpreter start-up of the environment's Python against the
    harness's own (the worker and a script each start one)."""
    code = DRIVER_CODE.replace("HOME", repr(str(home))).replace("PACKAGE", repr(PACKAGE))
    env = {**os.environ, "HARNESS_HOME": str(home), "UV_CACHE_DIR": str(cache)}
    found: dict[str, str] = {}
    driver_cpu: list[float] = []

    def driver_side() -> float:
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                             text=True, env=env).stdout.split()  # fmt: skip
        found["python"] = out[2]
        driver_cpu.append(float(out[1]))
        return float(out[0])

    driver_side()
    start = "import harness.worker, harness.contract.context"
    samples = alternate(
        {
            "driver: import harness.envs, resolve, find the build, record it": driver_side,
            "worker start-up, harness's Python": lambda: time_command(
                [sys.executable, "-c", start], env
            ),
            "worker start-up, environment's Python": lambda: time_command(
                [found["python"], "-c", start], env
            ),
        },
        repeats,
    )
    samples["driver, CPU seconds of the same"] = driver_cpu[1:]
    return {name: stats(values) for name, values in samples.items()}


def bootstrap_median_ci(values: list[float], draws: int = 5000) -> list[float]:
    import random
    import statistics

    rng = random.Random(0)
    medians = sorted(statistics.median(rng.choices(values, k=len(values))) for _ in range(draws))
    return [medians[int(draws * 0.025)], medians[int(draws * 0.975) - 1]]


def statistics_difference(samples: dict[str, list[float]]) -> float:
    import statistics

    return statistics.median(samples["cached environment"]) - statistics.median(
        samples["no environment"]
    )


if __name__ == "__main__":
    main()
