"""Run every benchmark script (``benchmarks/bench_*.py``) one after another.

Each script merges its own figures into the results file (``record`` in
``_common.py``), so this collects them all in ``benchmarks/results.json``:

    python benchmarks/run_all.py            # full: the figures for README/benchmarks docs
    python benchmarks/run_all.py --quick    # CI-sized: checks every script works
    python benchmarks/run_all.py --only mpi,sweeps

Scripts run one at a time (they time things; running two at once would skew both).
Exit status 1 when any script failed; the others still run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import RESULTS  # noqa: E402


def scripts(only: list[str] | None) -> list[Path]:
    found = sorted(HERE.glob("bench_*.py"))
    if only:
        wanted = {name.removeprefix("bench_").removesuffix(".py") for name in only}
        unknown = wanted - {p.stem.removeprefix("bench_") for p in found}
        if unknown:
            names = ", ".join(p.stem.removeprefix("bench_") for p in found)
            raise SystemExit(f"run_all: no benchmark {', '.join(sorted(unknown))}; have {names}")
        found = [p for p in found if p.stem.removeprefix("bench_") in wanted]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="CI-sized runs of every script")
    parser.add_argument("--results", type=Path, default=RESULTS, help="the results file")
    parser.add_argument("--only", help="comma-separated names (core,plugins,...)")
    opts = parser.parse_args(argv)
    chosen = scripts(opts.only.split(",") if opts.only else None)
    failed = []
    for index, script in enumerate(chosen, start=1):
        command = [sys.executable, str(script), "--results", str(opts.results)]
        if opts.quick:
            command.append("--quick")
        print(
            f"[{index}/{len(chosen)}] {script.name}{' --quick' if opts.quick else ''}", flush=True
        )
        started = time.perf_counter()
        proc = subprocess.run(command, cwd=HERE, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        if proc.returncode != 0:
            failed.append(script.name)
            print(f"    FAILED (exit {proc.returncode}) after {elapsed:.0f} s:", flush=True)
            print("    " + (proc.stdout + proc.stderr).strip()[-3000:].replace("\n", "\n    "))
        else:
            print(f"    done in {elapsed:.0f} s", flush=True)
    print(f"figures in {opts.results}; `python benchmarks/report.py` prints the table")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
