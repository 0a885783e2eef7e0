"""The tensorboard, mlflow and jsonl loggers, read back with their own readers."""

from __future__ import annotations

import json

import pytest

from harness.contract.context import Run
from harness.contract.jobspec import JobSpec
from harness.run.record import COMPLETED
from harness.run.store import RunStore
from harness.testing import run_cli


@pytest.fixture(scope="module")
def tracking_uri(tmp_path_factory):
    """One SQLite MLflow store for the module: creating its schema takes seconds."""
    return f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"


def mlflow_runs(uri: str, experiment: str):
    import mlflow

    mlflow.set_tracking_uri(uri)
    return mlflow.search_runs(experiment_names=[experiment])


def tensorboard_scalars(logdir):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(logdir), size_guidance={"scalars": 0, "tensors": 0})
    acc.Reload()
    return acc


@pytest.mark.slow
def test_train_with_tensorboard_jsonl_and_mlflow_reads_back(home, tracking_uri):
    result = run_cli(
        "train",
        "logger=[console,tensorboard,jsonl]",
        "+logger=mlflow",
        f"logger.mlflow.tracking_uri={tracking_uri}",
        "experiment=logged",
        "estimator.C=0.5",
        "+tags.team=vision",
        home=home,
    )
    assert result.returncode == 0, result.output
    assert "failed" not in result.stderr, result.stderr
    record = RunStore(home).get(result.run_id)
    accuracy = record.metrics["accuracy"]

    acc = tensorboard_scalars(record.path / "logs" / "tensorboard")
    assert {"accuracy", "n_train", "f1_macro", "train_time"} <= set(acc.Tags()["scalars"])
    (point,) = acc.Scalars("accuracy")
    assert point.step == 0 and point.value == pytest.approx(accuracy)
    status = acc.Tensors("harness/status")[0].tensor_proto.string_val[0].decode()
    assert status == "Completed"

    lines = [json.loads(line) for line in (record.path / "logs" / "metrics.jsonl").open()]
    assert {"name": "accuracy", "value": accuracy, "step": 0} in [
        {k: v for k, v in line.items() if k != "time"} for line in lines
    ]
    assert lines[-1]["status"] == "Completed"
    # The sklearn estimator's four metrics; system figures are not the job's metrics.
    assert sorted(line["name"] for line in lines if "name" in line) == [
        "accuracy", "f1_macro", "n_train", "train_time",
    ]  # fmt: skip

    runs = mlflow_runs(tracking_uri, "logged")
    assert len(runs) == 1
    row = runs.iloc[0]
    assert row["status"] == "FINISHED"
    assert row["tags.harness.run_id"] == record.id and row["tags.team"] == "vision"
    assert row["params.estimator.C"] == "0.5"
    assert row["metrics.accuracy"] == pytest.approx(accuracy)
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri)
    history = client.get_metric_history(row["run_id"], "accuracy")
    assert [(m.step, m.value) for m in history] == [(0, pytest.approx(accuracy))]
    artifacts = [f.path for f in client.list_artifacts(row["run_id"], "outputs")]
    assert artifacts == ["outputs/model.joblib"]


@pytest.mark.slow
def test_failed_job_ends_its_mlflow_run_failed(home, tracking_uri, tmp_path):
    one_class = tmp_path / "one_class.csv"
    one_class.write_text("a,b,y\n1,2,0\n3,4,0\n5,6,0\n7,8,0\n")
    result = run_cli(
        "train",
        f"estimator.data.path={one_class}",
        "estimator.data.test_size=0.5",
        "+logger=mlflow",
        f"logger.mlflow.tracking_uri={tracking_uri}",
        "experiment=broken",
        home=home,
    )
    assert result.returncode == 1, result.output
    row = mlflow_runs(tracking_uri, "broken").iloc[0]
    assert row["status"] == "FAILED"
    assert row["metrics.n_train"] == 2  # logged before the failure, delivered
    assert row["tags.harness.status"] == "Failed"


@pytest.mark.slow
def test_unreachable_mlflow_server_is_reported_once_and_the_run_is_kept(home):
    result = run_cli(
        "train",
        "+logger=mlflow",
        "logger.mlflow.tracking_uri=http://127.0.0.1:9",
        "logger.mlflow.http_retries=0",
        home=home,
    )
    assert result.returncode == 0, result.output
    assert result.stderr.count("logger 'mlflow' failed") == 1, result.stderr
    shown = run_cli("runs", "show", result.run_id, "--format", "json", home=home).json()
    assert shown["status"] == "Completed" and shown["metrics"]["accuracy"] > 0.9


def test_every_step_and_the_tail_reach_all_loggers(home, tracking_uri):
    """5,000 values logged and closed at once: nothing may be left in a queue."""
    store = RunStore(home)
    record = store.create(experiment="steps", estimator="none", compute="none", params={"lr": 1})
    loggers = {"tensorboard": {}, "jsonl": {}, "mlflow": {"tracking_uri": tracking_uri}}
    spec = JobSpec(
        record.id, str(record.path), "steps", "none", "none", params={"lr": 1}, loggers=loggers
    )
    run = Run(spec)
    for step in range(5000):
        run.log("loss", 1.0 / (step + 1), step=step)
    run.close(COMPLETED)

    acc = tensorboard_scalars(record.path / "logs" / "tensorboard")
    assert [s.step for s in acc.Scalars("loss")] == list(range(5000))
    assert acc.Scalars("loss")[-1].value == pytest.approx(1 / 5000)
    lines = (record.path / "logs" / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 5001 and json.loads(lines[-1])["status"] == "Completed"
    from mlflow import MlflowClient

    row = mlflow_runs(tracking_uri, "steps").iloc[0]
    history = MlflowClient(tracking_uri).get_metric_history(row["run_id"], "loss")
    assert sorted(m.step for m in history) == list(range(5000))
    assert row["status"] == "FINISHED" and row["params.lr"] == "1"
