"""The ``mlflow`` logger: params, metrics with steps, tags, final status, ``outputs/``.

The target is an MLflow tracking URI: ``logger.mlflow.tracking_uri``, else
``$MLFLOW_TRACKING_URI``, else ``sqlite:///$HARNESS_HOME/mlflow.db`` (MLflow 3
refuses a plain ``./mlruns`` file store by default). Each harness run becomes one
MLflow run named after the harness run id, in the MLflow experiment of the same
name as the harness experiment.

Metrics are written on a background thread (``harness.contract.background``),
which merges the batches that queued up: into a database tracking store (SQLite,
PostgreSQL) as one bulk INSERT per batch into MLflow's own tables
(``mlflow_sql.py``); elsewhere through ``MlflowClient.log_batch`` (1000 per call).
One ``mlflow.log_metric`` per value is a database transaction (about 50/s on SQLite
here), ``log_batch`` about 12,000 values/s, the bulk insert about 180,000 values/s
(benchmarks/bench_core.py).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

from harness.contract.background import DEFAULT_MAX_VALUES, BackgroundSink
from harness.contract.components import Logger
from harness.contract.records import CANCELED, COMPLETED, FAILED, flatten

#: harness status → MLflow RunStatus name.
MLFLOW_STATUS: dict[str, str] = {COMPLETED: "FINISHED", FAILED: "FAILED", CANCELED: "KILLED"}
#: MLflow's own limits per log_batch call and per param value.
MAX_METRICS, MAX_PARAMS, MAX_PARAM_CHARS = 1000, 100, 6000
#: The harness run's tag that names its MLflow run.
RUN_ID_TAG = "mlflow_run_id"
_BAD_NAME_CHARS = re.compile(r"[^\w\-. /:]")


def tracking_uri(options: dict[str, Any], home: Path) -> str:
    return str(
        options.get("tracking_uri")
        or os.environ.get("MLFLOW_TRACKING_URI")
        or f"sqlite:///{home / 'mlflow.db'}"
    )


def _limit_http_retries(options: dict[str, Any]) -> None:
    """An unreachable server should fail in seconds, not after MLflow's default
    minutes of retries; the user's own environment settings win."""
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", str(options.get("http_retries", 2)))
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", str(options.get("http_timeout", 20)))


class MlflowLogger(Logger):
    def __init__(self, run: Any, options: dict[str, Any]) -> None:
        super().__init__(run, options)
        self.home = Path(run.run_dir).parent.parent
        self.tracking_uri = tracking_uri(options, self.home)
        self.experiment = str(options.get("experiment") or run.experiment)
        self.log_outputs = bool(options.get("log_outputs", True))
        self.finish_timeout = float(options.get("finish_timeout", 300))
        _limit_http_retries(options)
        self.bulk_sql = bool(options.get("bulk_sql", True))
        self.client: Any = None
        self.mlflow_run_id: str | None = None
        self.sql: Any = None
        self.sink = BackgroundSink(
            "mlflow", max_values=int(options.get("max_queue", DEFAULT_MAX_VALUES))
        )
        self.sink.submit(self._start)

    # -- start ----------------------------------------------------------------
    def _start(self) -> None:
        from mlflow import MlflowClient

        if self.tracking_uri.startswith("sqlite:///"):
            # The first client creates the database (schema migrations): two jobs
            # starting at once must not both do it.
            from filelock import FileLock

            db_path = self.tracking_uri[len("sqlite:///") :]
            with FileLock(db_path + ".lock"):
                self.client = MlflowClient(self.tracking_uri)
                experiment_id = self._experiment_id()
        else:
            self.client = MlflowClient(self.tracking_uri)
            experiment_id = self._experiment_id()
        tags = {
            "harness.run_id": self.run.id,
            "harness.experiment": self.run.experiment,
            "mlflow.runName": self.run.id,
        }
        # One harness run is one MLflow run, also when several processes log (script
        # mode: the worker and the user's script): the first creates it and tags the
        # harness run; the others find the tag under the same lock and reuse it.
        from filelock import FileLock

        run_dir = Path(self.run.run_dir)
        with FileLock(str(run_dir / ".mlflow.lock")):
            existing = _tagged_run_id(run_dir)
            if existing is not None:
                self.mlflow_run_id = existing
            else:
                created = self.client.create_run(experiment_id, run_name=self.run.id, tags=tags)
                self.mlflow_run_id = created.info.run_id
                # Lets the driver correct the final status later (correct_final_status).
                self.run.set_tags({RUN_ID_TAG: self.mlflow_run_id})
        self._open_bulk_writer()

    def _open_bulk_writer(self) -> None:
        from harness.plugins.loggers import mlflow_sql

        if not (self.bulk_sql and mlflow_sql.supports(self.tracking_uri)):
            return
        try:
            self.sql = mlflow_sql.SqlMetricWriter(self.tracking_uri, str(self.mlflow_run_id))
        except Exception as exc:  # an MLflow whose schema module moved: still correct
            print(
                f"harness: warning: logger 'mlflow': no bulk insert ({type(exc).__name__}: "
                f"{exc}); metrics go through log_batch",
                file=sys.stderr,
            )

    def _experiment_id(self) -> str:
        found = self.client.get_experiment_by_name(self.experiment)
        if found is not None:
            return str(found.experiment_id)
        location = None
        if self.tracking_uri.startswith("sqlite:///"):
            location = (self.home / "mlartifacts").as_uri()
        try:
            return str(self.client.create_experiment(self.experiment, artifact_location=location))
        except Exception:  # another job created it meanwhile
            found = self.client.get_experiment_by_name(self.experiment)
            if found is None:
                raise
            return str(found.experiment_id)

    # -- params and metrics ---------------------------------------------------
    def log_params(self, params: dict[str, Any]) -> None:
        self.sink.submit(self._write_params, params)

    def _write_params(self, params: dict[str, Any]) -> None:
        from mlflow.entities import Param

        items = [Param(_name(k), str(v)[:MAX_PARAM_CHARS]) for k, v in flatten(params).items()]
        for start in range(0, len(items), MAX_PARAMS):
            self.client.log_batch(self.mlflow_run_id, params=items[start : start + MAX_PARAMS])

    def log_metrics(self, events: list[Any]) -> None:
        self.sink.submit_values(self._write_metrics, events)

    def _write_metrics(self, events: list[Any]) -> None:
        names: dict[str, str] = {}
        rows = []
        for name, value, step, when in events:
            kind = type(value)
            numeric = (
                kind is float or kind is int or kind is not bool and isinstance(value, (int, float))
            )
            if not numeric:
                continue  # rows, tables and strings are not MLflow metrics
            key = names.get(name)
            if key is None:
                key = names[name] = _name(name)
            rows.append((key, float(value), int(when * 1000), step))
        if self.sql is not None:
            self.sql.write(rows)
            return
        from mlflow.entities import Metric

        batch = [Metric(key, value, timestamp, step) for key, value, timestamp, step in rows]
        for start in range(0, len(batch), MAX_METRICS):
            self.client.log_batch(
                self.mlflow_run_id, metrics=batch[start : start + MAX_METRICS], synchronous=True
            )

    # -- end ------------------------------------------------------------------
    def finish(self, status: str) -> None:
        self.sink.submit(self._finish, status)
        self.sink.close(self.finish_timeout)

    def _finish(self, status: str) -> None:
        from mlflow.entities import RunTag

        from harness.contract.records import get_run

        try:  # tags set during the run (run.set_tags, `harness runs tag`)
            record_tags = get_run(self.run.id, self.home).tags
        except Exception:
            record_tags = {}
        tags = [RunTag(_name(k), str(v)) for k, v in record_tags.items() if k != RUN_ID_TAG]
        tags.append(RunTag("harness.status", status))
        self.client.log_batch(self.mlflow_run_id, tags=tags)
        outputs = Path(self.run.outputs_dir)
        if self.log_outputs and outputs.is_dir() and any(outputs.iterdir()):
            self.client.log_artifacts(self.mlflow_run_id, str(outputs), artifact_path="outputs")
        self.client.set_terminated(self.mlflow_run_id, status=MLFLOW_STATUS.get(status, "FAILED"))
        if self.sql is not None:
            self.sql.close()


def _tagged_run_id(run_dir: Path) -> str | None:
    """The MLflow run another process of this harness run already created, if any."""
    import json

    try:
        tags = json.loads((run_dir / "run.json").read_text(encoding="utf-8")).get("tags") or {}
    except (OSError, ValueError, AttributeError):
        return None
    value = tags.get(RUN_ID_TAG)
    return str(value) if value else None


def _name(key: str) -> str:
    """MLflow accepts letters, digits, _ - . space / (and : on recent versions)."""
    return _BAD_NAME_CHARS.sub("_", str(key))


def correct_final_status(record: Any, status: str) -> None:
    """In the driver, after the final status is written: make MLflow agree with it.

    The job tells its loggers how *it* ended, but the driver has the last word: a
    job that it canceled may still exit 0 (sklearn's MLP swallows SIGINT), and a
    job killed outright never calls ``finish``. Costs an MLflow import only for
    runs that used the mlflow logger and did not complete.
    """
    import json

    mlflow_run_id = record.tags.get(RUN_ID_TAG)
    if not mlflow_run_id or status == COMPLETED or record.path is None:
        return
    spec = json.loads((record.path / "job.json").read_text())
    options = (spec.get("loggers") or {}).get("mlflow") or {}
    _limit_http_retries(options)
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri(options, record.path.parent.parent))
    wanted = MLFLOW_STATUS.get(status, "FAILED")
    if client.get_run(mlflow_run_id).info.status != wanted:
        client.set_terminated(mlflow_run_id, status=wanted)
        client.set_tag(mlflow_run_id, "harness.status", status)
