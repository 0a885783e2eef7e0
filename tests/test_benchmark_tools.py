"""benchmarks/run_all.py and benchmarks/report.py (the README table generator)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import report  # noqa: E402

RESULTS = {
    "core": {
        "figures": {
            "run_log_calls_per_s": {"median": 500000.0, "min": 450000.0, "max": 540000.0, "n": 7},
            "startup_s": {"harness --help": {"median": 0.03, "min": 0.02, "max": 0.04, "n": 7}},
            "run_log_target_per_s": 200000,
        },
        "quick": False,
        "machine": {"cpus": 2, "processor": "x86_64", "platform": "Linux", "python": "3.11.7"},
        "when": "2026-11-22T01:51:36+00:00",
    },
    "newclaim": {"figures": {"a": {"b": 1.5}, "label": "text"}, "quick": True, "machine": {}},
}


def test_report_prints_key_figures_and_unknown_claims_in_full():
    text = report.table(RESULTS)
    assert "| `core` (run.log rate; start-up against plain imports) | run_log_calls_per_s |" in text
    assert "500,000 (450,000–540,000, n=7)" in text
    assert "startup_s.harness --help | 0.03 (0.02–0.04, n=7)" in text
    assert "run_log_target_per_s" not in text  # not a key figure of `core`
    assert "| `newclaim` | a.b | 1.5 | quick |" in text  # unlisted claim: every number
    assert "run_log_target_per_s | 200,000" in report.table(RESULTS, everything=True)
    assert "Not in results.json yet: `plugins`, `pytorch_overhead`" in text


def test_report_rewrites_only_the_readme_section(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{report.START}\nold table\n{report.END}\noutro\n")
    report.write_readme("new table", readme)
    assert readme.read_text() == f"intro\n{report.START}\nnew table\n{report.END}\noutro\n"


def test_run_all_runs_the_chosen_scripts_into_one_results_file(tmp_path):
    results = tmp_path / "results.json"
    proc = subprocess.run(
        [
            sys.executable,
            str(BENCHMARKS / "run_all.py"),
            "--quick",
            "--only",
            "core",
            "--results",
            str(results),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "[1/1] bench_core.py --quick" in proc.stdout
    assert list(json.loads(results.read_text())) == ["core"]
    unknown = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run_all.py"), "--only", "nope"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert unknown.returncode != 0 and "no benchmark nope" in unknown.stderr
