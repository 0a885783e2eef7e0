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
    assert (
        "| `core` (run.log rate, alone and with console + tensorboard + mlflow on; start-up) | run_log_calls_per_s |"
        in text
    )
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
            "plugins",
            "--results",
            str(results),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "[1/1] bench_plugins.py --quick" in proc.stdout
    assert list(json.loads(results.read_text())) == ["plugins"]
    unknown = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run_all.py"), "--only", "nope"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert unknown.returncode != 0 and "no benchmark nope" in unknown.stderr


def test_record_keeps_earlier_figures_and_the_load_average(tmp_path):
    import _common

    results = tmp_path / "results.json"
    _common.record(results, "claim", {"x": 1}, quick=False)
    _common.record(results, "claim", {"x": 2}, quick=True)
    entry = json.loads(results.read_text())["claim"]
    assert entry["figures"] == {"x": 2} and entry["quick"] is True
    assert [old["figures"] for old in entry["history"]] == [{"x": 1}]
    assert "history" not in entry["history"][0]  # one level: no nested copies
    load = entry["load_average"]
    assert len(load["start"]) == 3 and len(load["end"]) == 3
    assert f", load {load['start'][0]:.1f}" in report.table({"claim": entry})


def test_paired_interval_says_whether_a_difference_is_real():
    import _common

    real = _common.paired({"a": [2.0, 2.1, 2.2, 2.0, 2.1], "b": [1.0] * 5}, "a", "b")
    assert real["median"] == 1.1 and real["excludes_no_difference"]
    noise = _common.paired({"a": [1.1, 0.9, 1.0, 1.2, 0.8], "b": [1.0] * 5}, "a", "b", ratio=True)
    assert noise["ci95"][0] < 1 < noise["ci95"][1] and not noise["excludes_no_difference"]
