"""The typed configs of the built-in loggers: the one place their defaults live.

Registered as the options ``logger=console|jsonl|mlflow|tensorboard``
(``harness_config_schemas``); each lands at ``logger.NAME`` in the composed config,
so ``logger.mlflow.http_retries=abc`` fails while composing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

# OmegaConf needs typing.Optional in structured configs.
# ruff: noqa: UP045


@dataclass
class ConsoleLoggerConfig:
    """Progress bars and metrics on the terminal (rank 0)."""

    #: At most one metrics line per this many seconds while training.
    interval: float = 2.0
    progress: bool = True


@dataclass
class JsonlLoggerConfig:
    """One JSON object per metric event, appended to a file of the run (rank 0),
    then a last {"status": ...} line when the job ends."""

    #: Relative to the run folder.
    path: str = "logs/metrics.jsonl"


@dataclass
class MlflowLoggerConfig:
    """MLflow tracking (rank 0): params, metrics with steps, tags, status, outputs/."""

    #: None: $MLFLOW_TRACKING_URI, else sqlite:///$HARNESS_HOME/mlflow.db (artifacts in
    #: $HARNESS_HOME/mlartifacts). A server: http://host:5000
    tracking_uri: Optional[str] = None
    #: MLflow experiment name; None: the harness experiment.
    experiment: Optional[str] = None
    #: Upload the run's outputs/ as artifacts when the job ends.
    log_outputs: bool = True
    #: Retries and timeout (s) per HTTP request to a tracking server.
    http_retries: int = 2
    http_timeout: int = 20
    #: Seconds the job waits at the end for the last batches to reach MLflow.
    finish_timeout: float = 300
    #: Values that may wait in memory for MLflow; past it they wait in the run's
    #: metrics file and are read back from there, so training never waits.
    max_queue: int = 500_000
    #: A database tracking URI (sqlite, postgresql): metrics as one bulk INSERT into
    #: MLflow's tables per batch; false: MlflowClient.log_batch (1000 per call).
    bulk_sql: bool = True


@dataclass
class TensorBoardLoggerConfig:
    """TensorBoard event files under the run's logs/tensorboard/ (rank 0):
    tensorboard --logdir $HARNESS_HOME/runs"""

    #: Folder under the run's logs/.
    subdir: str = "tensorboard"
    #: Seconds the job waits at the end for the last events to be written.
    finish_timeout: float = 120
    #: Values that may wait in memory for the event file; past it they wait in the
    #: run's metrics file and are read back from there, so training never waits.
    max_queue: int = 500_000
