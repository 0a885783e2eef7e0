"""The tensorboard and mlflow loggers' fast paths write what the libraries' own
writers would: TensorBoard's reader (which checks every CRC) and MLflow's client
read the values back, and the hand-encoded events are byte for byte the protos'."""

from __future__ import annotations

import math
import random
import sqlite3
import threading
import time

import pytest

from harness.contract.context import Run
from harness.contract.jobspec import JobSpec
from harness.plugins.loggers.tfevents import EventFile, scalar_record, scalar_records
from harness.run.metrics import MetricEvent
from harness.run.record import COMPLETED
from harness.run.store import RunStore


def _proto_bytes(name: str, value: float, step: int, when: float) -> bytes:
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.compat.proto.summary_pb2 import Summary

    summary = Summary(value=[Summary.Value(tag=name, simple_value=value)])
    return Event(wall_time=when, step=step, summary=summary).SerializeToString()


def test_scalar_events_are_the_protos_bytes():
    rng = random.Random(29)
    names = ["loss", "a/b", "é-ü ✓", "x" * 300, ""]
    steps = [0, 1, 127, 128, 16_383, 16_384, 2**31, 2**62, -1, -(2**40)]
    values = [0.0, -0.0, 1e-46, 1.5, -3.25e-30, 3.0e38, 1e39, -1e39, math.inf, -math.inf, math.nan]
    for _ in range(3000):
        name, step = rng.choice(names), rng.choice(steps + [rng.randrange(2**63)])
        value = rng.choice(values + [rng.uniform(-1e6, 1e6)])
        when = rng.choice([0.0, rng.uniform(0, 2e9)])
        assert scalar_record(name, value, step, when) == _proto_bytes(name, value, step, when)


def test_tensorboard_reads_back_every_scalar_of_the_event_file(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = [MetricEvent("loss", 1 / (i + 1), i, 1000.0 + i) for i in range(3000)]
    events += [MetricEvent("row", {"a": 1}, 0, 1.0), MetricEvent("flag", True, 0, 1.0)]
    file = EventFile(tmp_path)
    file.write(scalar_records(events[:1500]))
    file.write(scalar_records(events[1500:]))
    file.close()
    acc = EventAccumulator(str(tmp_path), size_guidance={"scalars": 0})
    acc.Reload()  # raises on a bad CRC
    assert acc.Tags()["scalars"] == ["loss"]  # rows and booleans are not scalars
    read = [(s.step, s.wall_time, s.value) for s in acc.Scalars("loss")]
    assert read == [(i, 1000.0 + i, pytest.approx(1 / (i + 1))) for i in range(3000)]


@pytest.fixture(scope="module")
def mlflow_uri(tmp_path_factory):
    """One SQLite MLflow store for the module: creating its schema takes seconds."""
    return f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"


@pytest.fixture
def mlflow_run(mlflow_uri, request):
    from mlflow import MlflowClient

    client = MlflowClient(mlflow_uri)
    run_id = client.create_run(client.create_experiment(request.node.name)).info.run_id
    return mlflow_uri, client, run_id


@pytest.mark.parametrize("per_statement", [None, 7], ids=["default", "7-rows-per-insert"])
def test_the_bulk_insert_reads_back_as_log_batch_would_have_written_it(mlflow_run, per_statement):
    from mlflow.entities import Metric

    from harness.plugins.loggers.mlflow_sql import SqlMetricWriter

    uri, client, run_id = mlflow_run
    other = client.create_run(client.get_run(run_id).info.experiment_id).info.run_id
    rows = [("loss", 1 / (i + 1), 5000 + i, i) for i in range(2000)]
    rows += [("odd", math.nan, 1, 0), ("odd", math.inf, 2, 1), ("odd", -math.inf, 3, 2)]
    rows += [("late", 9.0, 10, 7), ("late", 1.0, 11, 3)]  # the greatest step is latest
    writer = SqlMetricWriter(uri, run_id)
    assert writer._rows_sql is not None  # SQLite: many rows per INSERT
    if per_statement:  # every batch split across statements, the repeats too
        writer.rows_per_statement = per_statement
    writer.write(rows[:1000])
    writer.write(rows[1000:])
    writer.write(rows[:10])  # the same rows again: skipped, as MLflow's own dedup does
    writer.close()
    client.log_batch(other, metrics=[Metric(k, v, t, s) for k, v, t, s in rows])

    def stored(run: str, key: str) -> list[tuple[int, int, float]]:
        history = client.get_metric_history(run, key)
        return sorted((m.step, m.timestamp, m.value) for m in history)

    for key in ("loss", "odd", "late"):
        mine, theirs = stored(run_id, key), stored(other, key)
        assert len(mine) == len(theirs) and all(
            a[:2] == b[:2] and (a[2] == b[2] or math.isnan(a[2]) and math.isnan(b[2]))
            for a, b in zip(mine, theirs, strict=True)
        ), key
    latest, expected = client.get_run(run_id).data.metrics, client.get_run(other).data.metrics
    assert latest == pytest.approx(expected) and latest["late"] == 9.0


def _live_run(home, loggers) -> Run:
    store = RunStore(home)
    record = store.create(experiment="stall", estimator="none", compute="none", params={"lr": 1})
    spec = JobSpec(
        record.id, str(record.path), "stall", "none", "none", params={"lr": 1}, loggers=loggers
    )
    return Run(spec)


def test_a_locked_mlflow_store_delays_only_mlflow(tmp_path, mlflow_run, capfd):
    """While another process holds MLflow's SQLite database locked, run.log goes on
    (more values than the logger may hold in memory), the event file keeps up, and
    once the lock is released every value reaches MLflow too."""
    from mlflow import MlflowClient

    uri, _, _ = mlflow_run
    run = _live_run(
        tmp_path / "home",
        {"tensorboard": {}, "mlflow": {"tracking_uri": uri, "max_queue": 1000}},
    )
    run.log("loss", 0.0, step=0)
    run.flush()
    mlflow_logger = run._active_loggers()["mlflow"]
    for _ in range(300):  # the logger's start (its run in MLflow) is not what is tested
        if mlflow_logger.sql is not None:
            break
        time.sleep(0.1)
    assert mlflow_logger.sql is not None
    blocker = sqlite3.connect(uri.removeprefix("sqlite:///"), isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:

        def log() -> None:
            for step in range(1, 20_001):
                run.log("loss", float(step), step=step)
                if step % 100 == 0:
                    run.flush()  # 200 batches: more than any fixed number of queue slots

        logging = threading.Thread(target=log, daemon=True)
        logging.start()
        logging.join(60)
        assert not logging.is_alive(), "run.log waited for a locked MLflow store"
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    run.close(COMPLETED)
    assert "logger 'mlflow' lags" in capfd.readouterr().err
    client = MlflowClient(uri)
    (mlflow_run,) = client.search_runs([client.get_experiment_by_name("stall").experiment_id])
    mlflow_run_id = mlflow_run.info.run_id
    steps = sorted(m.step for m in client.get_metric_history(mlflow_run_id, "loss"))
    assert steps == list(range(20_001))
