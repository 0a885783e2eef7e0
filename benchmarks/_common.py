"""Shared by the benchmark scripts: alternating repetitions, stats, results.json.

Each script measures both sides of its claim in one run, alternating them so
that machine noise hits both alike, and records median and min-max spread.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.json"
#: The 1, 5 and 15-minute load averages when the script started (recorded with its
#: figures: on a shared machine they say how far to trust them).
LOAD_AT_START = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
#: How many earlier entries of a claim results.json keeps (newest first).
HISTORY_KEPT = 20

# A user's installed packages come with bytecode (pip compiles it at install time).
# A shell that forbids writing it would make every `harness` start recompile its
# ~100 modules (an editable install has no prebuilt bytecode), a cost users never
# pay, so the commands benchmarked here may write and reuse it.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="small sizes, few repetitions (CI)")
    p.add_argument("--results", type=Path, default=RESULTS, help="where to record the figures")
    p.add_argument(
        "--rounds", type=int, default=None, help="alternated rounds per side (default: per script)"
    )
    return p


def rounds(opts: argparse.Namespace, quick: int, full: int) -> int:
    """The rounds a script runs: --rounds if given, else its quick or full default."""
    if opts.rounds is not None:
        if opts.rounds < 1:
            raise SystemExit("--rounds must be at least 1")
        return int(opts.rounds)
    return quick if opts.quick else full


def bootstrap_median_ci(values: list[float], draws: int = 5000) -> list[float]:
    """A 95 % percentile-bootstrap interval of the median (fixed seed: reproducible).
    For paired differences: the interval excluding 0 is what makes a difference real."""
    import random

    rng = random.Random(0)
    medians = sorted(statistics.median(rng.choices(values, k=len(values))) for _ in range(draws))
    return [medians[int(draws * 0.025)], medians[int(draws * 0.975) - 1]]


def paired(
    samples: dict[str, list[float]], side: str, base: str, ratio: bool = False
) -> dict[str, Any]:
    """Round-by-round difference (or ratio) of two alternated sides: median, 95 %
    interval, and whether the interval excludes no difference (0, or 1 for a ratio)."""
    pairs = list(zip(samples[side], samples[base], strict=False))
    values = [a / b if ratio else a - b for a, b in pairs if not ratio or b]
    low, high = bootstrap_median_ci(values) if values else (float("nan"), float("nan"))
    neutral = 1.0 if ratio else 0.0
    return {
        "median": statistics.median(values) if values else float("nan"),
        "ci95": [low, high],
        "n": len(values),
        "excludes_no_difference": bool(values) and not (low <= neutral <= high),
    }


def stats(samples: list[float]) -> dict[str, float]:
    return {
        "median": statistics.median(samples),
        "min": min(samples),
        "max": max(samples),
        "n": len(samples),
    }


def alternate(sides: dict[str, Callable[[], float]], repeats: int) -> dict[str, list[float]]:
    """Run each side once per round, in alternating order; each call returns a figure."""
    samples: dict[str, list[float]] = {name: [] for name in sides}
    names = list(sides)
    for round_no in range(repeats):
        order = names if round_no % 2 == 0 else list(reversed(names))
        for name in order:
            samples[name].append(sides[name]())
    return samples


def time_command(
    cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
) -> float:
    """Seconds ``cmd`` took; a failure stops the benchmark with the command's output."""
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(
            f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
        )
    return wall


def train(
    cmd: list[str], env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], str | None]:
    """Run a ``harness train`` command line; (the process, the id of the run it
    recorded), read from its JSON events (``harness.job.events``), not its output."""
    import tempfile

    from harness.job import events

    with tempfile.TemporaryDirectory(prefix="bench-events-") as folder:
        channel = Path(folder) / "events.jsonl"
        proc = subprocess.run(
            cmd,
            env={**(os.environ if env is None else env), "HARNESS_EVENTS": str(channel)},
            capture_output=True,
            text=True,
        )
        told, _ = events.read(channel)
    created = [e.run_id for e in told if e.event == "run_created"]
    return proc, created[-1] if created else None


def machine() -> dict[str, Any]:
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
    }


def load_average() -> dict[str, Any]:
    """The load averages at the script's start and now."""
    now = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    return {"start": LOAD_AT_START, "end": now}


def record(path: Path, claim: str, figures: dict[str, Any], quick: bool) -> None:
    """Merge this claim's figures into results.json (atomic replace). The entry it
    replaces moves to the claim's ``history`` (newest first): figures are kept, not
    overwritten."""
    data = json.loads(path.read_text()) if path.exists() else {}
    previous = data.get(claim)
    history: list[Any] = []
    if isinstance(previous, dict):
        history = list(previous.pop("history", []) or [])
        history.insert(0, previous)
    data[claim] = {
        "figures": figures,
        "quick": quick,
        "machine": machine(),
        "load_average": load_average(),
        "when": datetime.now().astimezone().isoformat(timespec="seconds"),
        "history": history[:HISTORY_KEPT],
    }
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)
    print(json.dumps({claim: figures}, indent=2))


def scratch_dir(prefix: str) -> Path:
    """A new temporary folder, removed with everything in it when the script exits.

    For the benchmarks' workspaces and sources that outlive one ``with`` block (a
    sweep's home is read after the sweep, a side's closure makes one per round):
    without it every run left its homes in the temporary folder."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def commit_copy(root: Path, ref: str, folder: Path) -> Path:
    """The files of commit ``ref`` of the repository at ``root``, extracted into ``folder``."""
    archive = subprocess.run(
        ["git", "-C", str(root), "archive", ref], check=True, capture_output=True
    ).stdout
    folder.mkdir()
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def install_target(source: Path, site: Path) -> Path:
    """``pip install --no-deps --target site source`` (bytecode compiled, as a user's
    install is); ``site`` goes first on PYTHONPATH to run that copy."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(site),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    return site
