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
    args = parser(__doc__.splitlines()[0]).parse_args()
    rounds = 2 if args.quick else 10
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

        warm: list[float] = []
        cold: list[float] = []
        for n in range(builds):
            warm.append(build_once(root / f"warm-{n}", cache))
            cold.append(build_once(root / f"cold-{n}", root / f"empty-cache-{n}"))
            time.sleep(0.1)

    figures = {
        "startup_s": {name: stats(values) for name, values in samples.items()},
        "cached_env_overhead_s": statistics_difference(samples),
        # CPU seconds of the whole process tree (driver, worker, script): steadier
        # than wall time on a shared machine.
        "startup_cpu_s": {name: stats(values) for name, values in cpu.items()},
        "cached_env_overhead_cpu_s": statistics_difference(cpu),
        "first_build_s": {
            "uv cache holds the wheel": stats(warm),
            "empty uv cache (download from PyPI)": stats(cold),
        },
    }
    record(args.results, "envs", figures, args.quick)
    for name, value in figures["startup_s"].items():
        print(
            f"harness train, {name}: {value['median']:.3f} s ({value['min']:.3f}-{value['max']:.3f})"
        )
    print(f"cached environment adds {figures['cached_env_overhead_s']:.3f} s (target < 0.3 s)")
    print(f"... in CPU time of the process tree: {figures['cached_env_overhead_cpu_s']:.3f} s")
    for name, value in figures["first_build_s"].items():
        print(
            f"first build, {name}: {value['median']:.3f} s ({value['min']:.3f}-{value['max']:.3f})"
        )


def statistics_difference(samples: dict[str, list[float]]) -> float:
    import statistics

    return statistics.median(samples["cached environment"]) - statistics.median(
        samples["no environment"]
    )


if __name__ == "__main__":
    main()
