"""Run-store claims: `harness runs list` on 10,000 runs, and run.log with real loggers.

- `harness runs list` wall time (the real command, a fresh process each time) on a
  workspace of 10,000 runs written through the store API (target < 1 s):
  JSON (all runs), the table (newest 100, the default), `--sort METRIC --limit 20`,
  and a cold listing with the summary index (runs/.index.json) deleted first.
  `harness --help` is measured alongside as the process start-up floor.
- run.log throughput with the tensorboard and mlflow loggers active, end to end:
  from the first `run.log` until `run.close()` returns, i.e. every value is in the
  TensorBoard event file and in MLflow. Against MLflow's own `mlflow.log_metric`
  loop. Both write to the same local SQLite store; alternated in one run
  (target: at least 20x MLflow's calls per second).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

from _common import alternate, parser, record, stats, time_command


def make_workspace(home: Path, runs: int) -> float:
    """Write ``runs`` completed runs (record + one metric) through the store API."""
    from harness.run.store import RunStore

    store = RunStore(home)
    started = time.perf_counter()
    for i in range(runs):
        rec = store.create(
            experiment=f"exp{i % 10}",
            estimator="sklearn",
            compute="local",
            params={"estimator": {"name": "sklearn", "C": i / runs}, "seed": i},
            tags={"batch": str(i % 3)},
        )
        line = json.dumps({"name": "accuracy", "value": i / runs, "step": 0, "time": 1.0})
        (rec.path / "metrics" / "rank0-1.jsonl").write_text(line + "\n")
        store.set_status(rec.id, "Running", started=rec.created)
        store.set_status(rec.id, "Completed")
    return time.perf_counter() - started


def listing_samples(home: Path, repeats: int) -> dict[str, list[float]]:
    exe = str(Path(sys.executable).with_name("harness"))
    env = {**os.environ, "HARNESS_HOME": str(home)}
    index = home / "runs" / ".index.json"

    def cold() -> float:
        index.unlink(missing_ok=True)
        return time_command([exe, "runs", "list", "--format", "json"], env)

    time_command([exe, "runs", "list", "--limit", "1"], env)  # build the index once
    return alternate(
        {
            "runs list --format json": lambda: time_command(
                [exe, "runs", "list", "--format", "json"], env
            ),
            "runs list (table)": lambda: time_command([exe, "runs", "list"], env),
            "runs list --sort accuracy --limit 20": lambda: time_command(
                [exe, "runs", "list", "--sort", "accuracy", "--limit", "20"], env
            ),
            "runs list --format json, no index (cold)": cold,
            "harness --help": lambda: time_command([exe, "--help"], env),
        },
        repeats,
    )


def harness_log_rate(home: Path, uri: str, events: int) -> tuple[float, float]:
    """(end-to-end values/s until close() returns, caller-side values/s of the loop)."""
    from harness.contract.context import Run
    from harness.contract.jobspec import JobSpec
    from harness.run.store import RunStore

    store = RunStore(home)
    rec = store.create(experiment="bench", estimator="none", compute="none", params={"lr": 0.1})
    loggers = {"tensorboard": {}, "mlflow": {"tracking_uri": uri, "log_outputs": False}}
    spec = JobSpec(rec.id, str(rec.path), "bench", "none", "none", params={}, loggers=loggers)
    run = Run(spec)
    started = time.perf_counter()
    for i in range(events):
        run.log("loss", 1.0 / (i + 1), step=i)
    looped = time.perf_counter() - started
    run.close()
    total = time.perf_counter() - started
    return events / total, events / looped


def mlflow_log_metric_rate(uri: str, calls: int) -> float:
    import mlflow

    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment("bench-mlflow")
    with mlflow.start_run():
        started = time.perf_counter()
        for i in range(calls):
            mlflow.log_metric("loss", 1.0 / (i + 1), step=i)
        return calls / (time.perf_counter() - started)


def main() -> None:
    opts = parser(__doc__).parse_args()
    runs = 1_000 if opts.quick else 10_000
    repeats = 2 if opts.quick else 5
    events = 3_000 if opts.quick else 50_000
    mlflow_calls = 50 if opts.quick else 300

    with tempfile.TemporaryDirectory(prefix="bench-runstore-") as tmp:
        home = Path(tmp) / "home"
        print(f"writing {runs} runs through the store API ...", file=sys.stderr)
        made_s = make_workspace(home, runs)
        listing = listing_samples(home, repeats)

        log_home = Path(tmp) / "log-home"
        uri = f"sqlite:///{Path(tmp) / 'mlflow.db'}"
        mlflow_log_metric_rate(uri, 5)  # create the schema outside the timings
        end_to_end: list[float] = []
        caller: list[float] = []

        def harness_side() -> float:
            rate, loop_rate = harness_log_rate(log_home, uri, events)
            end_to_end.append(rate)
            caller.append(loop_rate)
            return rate

        samples = alternate(
            {
                "harness run.log + tensorboard + mlflow": harness_side,
                "mlflow.log_metric loop": lambda: mlflow_log_metric_rate(uri, mlflow_calls),
            },
            repeats,
        )

    ratio = (
        stats(samples["harness run.log + tensorboard + mlflow"])["median"]
        / stats(samples["mlflow.log_metric loop"])["median"]
    )
    figures = {
        "runs": runs,
        "workspace_written_s": made_s,
        "runs_list_s": {name: stats(values) for name, values in listing.items()},
        "runs_list_target_s": 1.0,
        "logged_values": events,
        "run_log_with_loggers_end_to_end_per_s": stats(end_to_end),
        "run_log_with_loggers_caller_side_per_s": stats(caller),
        "mlflow_log_metric_calls_per_s": stats(samples["mlflow.log_metric loop"]),
        "ratio_end_to_end_to_mlflow_log_metric": ratio,
        "ratio_target": 20,
    }
    record(opts.results, "runstore", figures, opts.quick)


if __name__ == "__main__":
    main()
