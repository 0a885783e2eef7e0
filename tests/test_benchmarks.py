"""Every benchmark script runs in --quick mode and records its figures.

No timing is asserted: that a figure is produced, with the keys it promises, is
what CI checks. The figures go to a temporary results file, not the committed one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
#: bench_gpu.py has its own test below (its CPU fallback, checked in detail).
#: How the scripts name their temporary folders (benchmarks/*.py); none may be left.
BENCH_PREFIXES = ("bench-", "harness-bench-")
SCRIPTS = sorted(p.name for p in BENCHMARKS.glob("bench_*.py") if p.name != "bench_gpu.py")


@pytest.mark.slow
@pytest.mark.parametrize("script", SCRIPTS)
def test_benchmark_quick_mode_produces_figures(script, tmp_path):
    results = tmp_path / "results.json"
    # A short folder of its own (sockets that Ray or MPI put there need short paths).
    scratch = Path(tempfile.mkdtemp(prefix="bq-"))
    try:
        proc = subprocess.run(
            [sys.executable, str(BENCHMARKS / script), "--quick", "--results", str(results)],
            capture_output=True,
            text=True,
            timeout=900,
            cwd=BENCHMARKS,
            env={**os.environ, "TMPDIR": str(scratch)},
        )
        left = sorted(p.name for p in scratch.iterdir() if p.name.startswith(BENCH_PREFIXES))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not left, f"{script} left its scratch folders behind: {left}"
    data = json.loads(results.read_text())
    assert len(data) == 1
    (claim,) = data.values()
    assert claim["quick"] is True and claim["figures"]
    if script == "bench_core.py":  # its claims, checked on this run (no second run)
        figures = data["core"]["figures"]
        assert figures["run_log_calls_per_s"]["median"] > 0
        assert set(figures["startup_s"]) == {
            "harness --help",
            "harness train --cfg job",
            "python -c 'import sklearn'",
            "python -c 'import hydra'",
        }


@pytest.mark.slow
def test_gpu_benchmark_runs_its_cpu_fallback(tmp_path):
    """Without CUDA bench_gpu.py runs every side at toy size on the CPU and the MPI
    refusal with a stand-in GPU: what the H200 run will do, minus the hardware."""
    results, out = tmp_path / "results.json", tmp_path / "gpu.json"
    proc = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_gpu.py"), "--quick", "--results", str(results),
         "--out", str(out)],
        capture_output=True, text=True, timeout=900, cwd=BENCHMARKS,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    figures = json.loads(out.read_text())
    assert json.loads(results.read_text())["gpu"]["figures"] == figures
    sides = {"plain_resident", "plain_dataloader", "harness", "harness_data_on_device_false"}
    assert set(figures["configs"]) == {f"batch{b}_{p}" for b in (64, 512) for p in ("fp32", "bf16")}
    for entry in figures["configs"].values():
        assert sides <= set(entry) and entry["harness_resident"] is True
        assert all(entry[side]["median_s"] > 0 for side in sides)
        assert entry["ratio_harness_to_plain_resident"] > 0
    refusal = figures["mpi"]["more_ranks_than_gpus"]
    assert refusal["ok"] and "estimator.backend=gloo" in refusal["message"], refusal


def test_committed_results_file_is_valid_and_complete():
    """benchmarks/results.json is merged by hand when branches meet; it must stay
    one valid JSON object with figures, machine and date for every claim."""
    data = json.loads((BENCHMARKS / "results.json").read_text())
    assert data, "no recorded figures"
    for claim, entry in data.items():
        assert {"figures", "machine", "when", "quick"} <= set(entry), claim
