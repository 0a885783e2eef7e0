"""Core claims: run.log throughput (alone and with every logger on), and CLI
start-up against plain imports.

- run.log calls per second, in-process (target ≥ 200,000/s): a live run writing
  to a temporary workspace, the flush included in the time.
- run.log with the console, tensorboard and mlflow loggers on, end to end (target
  ≥ 100,000 values/s): from the first `run.log` until `run.close()` returns with
  every value in the TensorBoard event file and in MLflow (a SQLite store), against
  MLflow's own ways to the same store, alternated round by round: `mlflow.log_metric`
  one value per call, and `MlflowClient.log_batch` with 1,000 values per call. MLflow
  is imported before the timings on every side (the baselines do not pay it either);
  the harness side's time includes starting both loggers (MLflow client, experiment,
  run). Each round logs into a fresh run of the same database.
- `harness --help` and `harness train --cfg job` wall time, as ratios to
  `python -c "import sklearn"` (and `import hydra`), alternated in one run.

    python benchmarks/bench_core.py [--quick] [--rounds N] [--values N]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from _common import alternate, paired, parser, record, rounds, scratch_dir, stats, time_command


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


def loggers_on_rate(home: Path, uri: str, values: int) -> tuple[float, float]:
    """(values/s until close() returned, values/s of the logging loop itself)."""
    from harness.contract.context import Run
    from harness.contract.jobspec import JobSpec
    from harness.run.store import RunStore

    store = RunStore(home)
    rec = store.create(experiment="bench", estimator="none", compute="none", params={"lr": 0.1})
    loggers = {
        "console": {},
        "tensorboard": {},
        "mlflow": {"tracking_uri": uri, "log_outputs": False},
    }
    spec = JobSpec(rec.id, str(rec.path), "bench", "none", "none", params={}, loggers=loggers)
    run = Run(spec)
    started = time.perf_counter()
    for i in range(values):
        run.log("loss", 1.0 / (i + 1), step=i)
    looped = time.perf_counter() - started
    run.close()
    total = time.perf_counter() - started
    stored = _stored_in_mlflow(uri, rec.id)
    if stored != values:
        raise SystemExit(f"bench_core: MLflow holds {stored} of {values} values")
    return values / total, values / looped


def _stored_in_mlflow(uri: str, harness_run_id: str) -> int:
    from mlflow import MlflowClient

    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name("bench")
    (found,) = client.search_runs(
        [experiment.experiment_id], filter_string=f"tags.`harness.run_id` = '{harness_run_id}'"
    )
    return len(client.get_metric_history(found.info.run_id, "loss"))


def mlflow_log_metric_rate(uri: str, calls: int) -> float:
    import mlflow

    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment("bench-mlflow")
    with mlflow.start_run():
        started = time.perf_counter()
        for i in range(calls):
            mlflow.log_metric("loss", 1.0 / (i + 1), step=i)
        return calls / (time.perf_counter() - started)


def mlflow_log_batch_rate(uri: str, values: int) -> float:
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name("bench-mlflow")
    run_id = client.create_run(experiment.experiment_id).info.run_id
    now = int(time.time() * 1000)
    started = time.perf_counter()
    for start in range(0, values, 1000):
        batch = [Metric("loss", 1.0 / (i + 1), now, i) for i in range(start, start + 1000)]
        client.log_batch(run_id, metrics=batch, synchronous=True)
    rate = values / (time.perf_counter() - started)
    client.set_terminated(run_id)
    return rate


def loggers_figures(values: int, repeats: int) -> dict[str, object]:
    import mlflow  # noqa: F401  # imported before every timing, on every side

    with tempfile.TemporaryDirectory(prefix="bench-core-loggers-") as tmp:
        home, uri = Path(tmp) / "home", f"sqlite:///{Path(tmp) / 'mlflow.db'}"
        mlflow_log_metric_rate(uri, 5)  # creates the schema outside the timings
        caller: list[float] = []

        def harness_side() -> float:
            rate, loop_rate = loggers_on_rate(home, uri, values)
            caller.append(loop_rate)
            return rate

        samples = alternate(
            {
                "harness run.log, console + tensorboard + mlflow, end to end": harness_side,
                "mlflow.log_metric, one value per call": lambda: mlflow_log_metric_rate(
                    uri, max(50, values // 1000)
                ),
                "MlflowClient.log_batch, 1000 values per call": lambda: mlflow_log_batch_rate(
                    uri, values
                ),
            },
            repeats,
        )
    harness_key = "harness run.log, console + tensorboard + mlflow, end to end"
    return {
        "values_per_round": values,
        "values_per_s": {name: stats(v) for name, v in samples.items()},
        "harness_caller_side_per_s": stats(caller),
        "target_values_per_s": 100_000,
        "ratio_to_log_metric": paired(
            samples, harness_key, "mlflow.log_metric, one value per call", ratio=True
        ),
        "ratio_to_log_batch": paired(
            samples, harness_key, "MlflowClient.log_batch, 1000 values per call", ratio=True
        ),
    }


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--values", type=int, default=None, help="values per loggers-on round")
    opts = p.parse_args()
    calls = 50_000 if opts.quick else 1_000_000
    repeats = rounds(opts, 3, 7)
    rates = [log_rate(calls) for _ in range(repeats)]
    loggers = loggers_figures(opts.values or (20_000 if opts.quick else 500_000), repeats)

    exe = str(Path(sys.executable).with_name("harness"))
    env = {**os.environ, "HARNESS_HOME": str(scratch_dir("bench-home-"))}
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
        "loggers_on": loggers,
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
