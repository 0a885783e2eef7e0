"""Print the key figures of ``benchmarks/results.json`` as a Markdown table, or
write them into README.md's "Performance" section:

    python benchmarks/report.py              # the key figures of every claim
    python benchmarks/report.py --all        # every numeric figure
    python benchmarks/report.py --readme     # refresh README.md between the markers

A claim not listed in KEY_FIGURES shows all its numeric figures.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
README = HERE.parent / "README.md"
START, END = "<!-- performance:start -->", "<!-- performance:end -->"

#: claim → (what it measures, glob patterns of the figures that carry the claim)
KEY_FIGURES: dict[str, tuple[str, list[str]]] = {
    "core": (
        "run.log rate, alone and with console + tensorboard + mlflow on; start-up",
        [
            "run_log_calls_per_s",
            "loggers_on.values_per_s.*",
            "loggers_on.ratio_to_*.median",
            "startup_s.*",
            "ratio_cfg_job_to_import_hydra",
        ],
    ),
    "plugins": ("plugin loading", ["builtin_plugins_load_cost_s", "startup_s.plugins list*"]),
    "pytorch_overhead": (
        "PyTorch through the harness against a plain loop (target ratio <= 1.02)",
        ["in_process.epoch_time_ratio", "in_process.epoch_time_s.*", "processes.wall_time_ratio"],
    ),
    "mpi": (
        "2-rank overhead against plain mpiexec (target: within 5%); 1 to 2-rank scaling",
        [
            "overhead.*.overhead_s",
            "overhead.*.overhead_ratio",
            "overhead.*.ratio_vs_plain_as_typed",
            "overhead.*.wall_s.*",
            "scaling.*speedup",
            "scaling.*efficiency",
        ],
    ),
    "ray": (
        "compute=ray per job against plain Ray; a 16-job sweep, Ray launcher against joblib",
        [
            "per_job_wall_s.*.median",
            "overhead_vs_plain_script_s",
            "overhead_vs_warm_task_s",
            "sweep_wall_s.*.median",
            "ratio_ray_vs_joblib",
        ],
    ),
    "serve": (
        "harness models serve against mlflow models serve, digits, 1 worker each (provisional)",
        [
            "latency_ms_one_row.*.p50",
            "latency_ms_one_row.*.p99",
            "throughput_ratio_harness_to_mlflow.*",
            "startup_to_first_healthy_s.*.median",
        ],
    ),
    "sweeps": (
        "joblib against the basic launcher; 1,000 jobs of 0.1 s against ideal; start-up by "
        "size; ASHA against median",
        [
            "launchers.sweep_wall_s.*",
            "launchers.speedup_joblib_vs_basic",
            "at_scale.ratio_to_ideal",
            "at_scale.wall_s",
            "startup.by_size.*",
            "early_termination.reports_in_all.*",
            "early_termination.best_final_value.*",
            "early_termination.asha_reports_saved_vs_median",
        ],
    ),
    "slurm": (
        "per-job overhead of compute=slurm and the submitit sweep against sbatch --wrap",
        ["overhead_per_job_s.*", "one_job_wall_s.*", "sweep_wall_s.*"],
    ),
    "datastore_upload": (
        "datastore upload against cp -r",
        [
            "*.upload_MB_per_s",
            "*.cp_r_MB_per_s",
            "*.ratio_upload_to_cp",
            "*.paired_ratio_upload_to_cp.median",
            "*.paired_ratio_upload_with_bar_to_cp.median",
            "*.paired_ratio_in_process_to_cp.median",
            "*.ratio_upload_sha256_to_cp",
            "*.blake3_only_ratio_to_cp",
            "sha256_one_core_MB_per_s",
            "blake3_one_core_MB_per_s",
        ],
    ),
    "overhead": (
        "harness train against the same work as a plain script (target: + 0.5 s at most)",
        [
            "*.added_s",
            "*.added_without_early_worker_s",
            "*.harness_s",
            "*.plain_s",
            "*.tail_after_training_s",
        ],
    ),
    "gpu": (
        "pytorch epoch against plain loops on a GPU (target ratio <= 1.02)",
        ["configs.*.ratio_*"],
    ),
    "system_metrics": (
        "sampling system metrics every second against a CPU-bound job (target < 1 %)",
        ["sampler_cpu_share_of_job_cpu", "paired_wall_ratio_on_to_off.median", "wall_s.*"],
    ),
    "ui_analysis_pages": (
        "harness ui beside mlflow server at 100,000 runs: runs page (target 0.2 s server, "
        "1 s Chromium), compare 50 (1 s), a 1M-point run (2 s)",
        ["server_s.*", "chromium_s.*", "first_request_after_start_s"],
    ),
    "ui_runs_page": (
        "harness ui: the runs page's data over 10,000 runs (target < 0.2 s)",
        ["page_data_s.*", "first_request_after_start_s"],
    ),
    "runstore": (
        "runs list over 10,000 runs; run.log with loggers against mlflow.log_metric",
        [
            "runs_list_s.runs list (table)",
            "runs_list_s.runs list --format json",
            "mlflow_log_metric_calls_per_s",
            "run_log_with_loggers_end_to_end_per_s",
            "ratio_end_to_end_to_mlflow_log_metric",
        ],
    ),
    "startup": (
        "commands that load plugins: this checkout (plugin index on and off) against a baseline",
        ["seconds.*", "paired_differences_s.*.median"],
    ),
}


def is_stats(value: Any) -> bool:
    return isinstance(value, dict) and {"median", "min", "max"} <= set(value)


def flatten(figures: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, value in figures.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if is_stats(value):
            out.append((path, value))
        elif isinstance(value, dict):
            out.extend(flatten(value, path))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out.append((path, value))
    return out


def fmt_number(value: float) -> str:
    if value == 0 or abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.4g}"


def fmt(value: Any) -> str:
    if is_stats(value):
        return (
            f"{fmt_number(value['median'])} ({fmt_number(value['min'])}–"
            f"{fmt_number(value['max'])}, n={value.get('n', '?')})"
        )
    return fmt_number(value)


def table(results: dict[str, Any], everything: bool = False) -> str:
    lines = [
        "| claim | figure | median (min–max) or value | mode | taken (1-min load) |",
        "|---|---|---|---|---|",
    ]
    machines = set()
    for claim in sorted(results):
        entry = results[claim]
        what, patterns = KEY_FIGURES.get(claim, ("", ["*"]))
        rows = flatten(entry.get("figures") or {})
        if not everything:
            rows = [(p, v) for p, v in rows if any(fnmatch.fnmatchcase(p, g) for g in patterns)]
        machine = entry.get("machine") or {}
        machines.add(
            f"{machine.get('cpus', '?')} CPUs, {machine.get('processor', '?')}, "
            f"{machine.get('platform', '?')}, Python {machine.get('python', '?')}"
        )
        mode = "quick" if entry.get("quick") else "full"
        when = str(entry.get("when", ""))[:10]
        load = (entry.get("load_average") or {}).get("start")
        if load:
            when += f", load {load[0]:.1f}"
        label = f"`{claim}`" + (f" ({what})" if what else "")
        for index, (path, value) in enumerate(rows):
            lines.append(
                f"| {label} | {path} | {fmt(value)} | {mode} | {when} |"
                if index == 0
                else f"| | {path} | {fmt(value)} | | |"
            )
    lines += ["", "Machine: " + "; ".join(sorted(machines)) + "."]
    missing = [claim for claim in KEY_FIGURES if claim not in results]
    if missing:
        lines += ["", "Not in results.json yet: " + ", ".join(f"`{c}`" for c in missing) + "."]
    return "\n".join(lines)


def write_readme(text: str, readme: Path = README) -> None:
    content = readme.read_text(encoding="utf-8")
    if START not in content or END not in content:
        raise SystemExit(f"report: {readme} has no {START} ... {END} markers")
    head, rest = content.split(START, 1)
    _, tail = rest.split(END, 1)
    tmp = readme.with_suffix(".md.tmp")
    tmp.write_text(f"{head}{START}\n{text}\n{END}{tail}", encoding="utf-8")
    os.replace(tmp, readme)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=HERE / "results.json")
    parser.add_argument("--all", action="store_true", help="every numeric figure")
    parser.add_argument("--readme", action="store_true", help="write into README.md's section")
    opts = parser.parse_args(argv)
    results = json.loads(opts.results.read_text(encoding="utf-8"))
    text = table(results, opts.all)
    if opts.readme:
        write_readme(text)
        print(f"updated {README}")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
