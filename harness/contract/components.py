"""Base classes for the four kinds of component a plugin can register.

They are small on purpose: a component implements what its kind needs and the
core does the rest (run records, logs, status, hooks).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

# The datastore base class has a module of its own; re-exported here with the others.
from harness.contract.datastore import Datastore

if TYPE_CHECKING:
    from omegaconf import DictConfig

    from harness.contract.context import MetricEvent, Run
    from harness.contract.jobspec import JobSpec

__all__ = ["Compute", "Datastore", "Estimator", "JobResult", "Logger", "Predictor", "serves_models"]


class Predictor(Protocol):
    """What ``Estimator.load_model`` returns: a loaded model that predicts."""

    def predict(self, data: Any) -> Any:
        """``data``: a 2-D numpy array (one row per example) or a pandas DataFrame
        (MLflow's ``dataframe_split``/``dataframe_records`` requests). Return one
        prediction per row: a numpy array, a list, or anything ``json`` can write."""
        ...


class Estimator:
    """Trains a model inside a worker process.

    ``validate`` runs in the driver before anything is written, so a bad value
    fails fast with exit code 2. ``train`` runs in every worker process.
    """

    #: The metric a sweep optimises unless ``sweep.metric`` says otherwise.
    primary_metric: ClassVar[str] = "accuracy"
    #: ``maximize`` or ``minimize``.
    goal: ClassVar[str] = "maximize"
    #: Distributions whose versions go into the run's provenance.
    packages: ClassVar[tuple[str, ...]] = ()
    #: Whether every MPI rank trains (on its share of the data). False: under
    #: ``compute=mpi`` only rank 0 trains and the driver warns (scikit-learn).
    data_parallel: ClassVar[bool] = True
    #: True when ``train`` runs the user's code in a child process (script mode).
    #: Under ``compute=mpi`` that child, not the worker, then owns the MPI rank: the
    #: worker leaves MPI uninitialised (``run.comm`` stays None there).
    trains_in_child_process: ClassVar[bool] = False

    @classmethod
    def preload(cls) -> None:
        """Import what every job of this estimator imports (its framework), in a job
        process started before the config is composed (``harness.contract.early_worker``):
        it runs while the driver composes. Only what ``train`` surely needs; an
        error here is ignored (the job meets and reports it itself)."""

    def validate(self, config: DictConfig) -> None:
        """Check ``config`` (the whole composed config); raise ``ConfigError``.

        Runs in the driver, which never imports a framework: checks that need
        scikit-learn, torch or chainer belong in ``validate_in_job``."""

    def validate_in_job(self, config: DictConfig) -> None:
        """Checks that need the framework; run in each job process before training.

        A ``HarnessError`` here still ends as a config error: the job exits 2, the
        driver discards the run (no ``Failed`` run is left behind) and prints the
        message as one line, exit 2, as for ``validate``."""

    def prepare(self, config: DictConfig, job: JobSpec) -> None:
        """Runs once in the driver, after the run folder exists and before the
        compute starts any process (script mode snapshots the source here, so
        every rank sees the same copy). Raise ``HarnessError`` for a user's mistake:
        the run is marked ``Failed`` and the command exits 2."""

    def primary(self, config: DictConfig) -> tuple[str, str]:
        """The (metric name, goal) a sweep optimises for this config."""
        return self.primary_metric, self.goal

    def train(self, run: Run) -> None:
        """Train, reading ``run.params`` and logging through ``run.log``."""
        raise NotImplementedError

    @classmethod
    def load_model(cls, path: Path, params: dict[str, Any]) -> Predictor:
        """Load a model this estimator saved, to serve it (``harness models serve``,
        ``Model.deploy`` without an entry script). Runs in each worker process of the
        service, so import the framework here.

        ``path``: the registered file or folder, its SHA-256 already checked against
        the registry. ``params``: the config of the run that trained it (as in
        ``run.json``), ``{}`` for a model registered from a file. Not overridden: such
        models need an entry script (score.py with ``init()`` and ``run()``)."""
        raise NotImplementedError(f"{cls.__name__} does not implement load_model")


def serves_models(cls: type[Estimator]) -> bool:
    """Whether ``cls`` implements ``load_model`` (its models serve without score.py)."""
    # classmethods: compare the functions they wrap (a bound method is new on each access)
    base = vars(Estimator)["load_model"].__func__
    return getattr(cls.load_model, "__func__", None) is not base


#: Estimator class attributes copied into the job spec (``JobSpec.estimator_traits``).
ESTIMATOR_TRAITS = ("data_parallel", "trains_in_child_process")


@dataclass
class JobResult:
    """What a compute reports back to the driver when the job's processes end."""

    exit_code: int
    canceled: bool = False
    #: One line saying why the job failed, when the compute knows more than the code.
    #: Without it the driver shows the last line of ``error_log``.
    error: str | None = None
    world_size: int = 1
    #: The log file that holds the job's own error output (its traceback), e.g.
    #: ``logs/rank_0.txt`` for MPI; default ``job.logs_dir / "stderr.txt"``.
    error_log: str | None = None


class Compute:
    """Starts a job's worker processes and supervises them until they end."""

    #: True if ``launch`` uses ``compute_kit.take_early_worker`` (a worker started
    #: before composition); otherwise the driver stops that worker before launching.
    takes_early_worker: ClassVar[bool] = False

    def validate(self, config: DictConfig) -> None:
        """Check the ``compute`` config in the driver; raise ``ConfigError``."""

    def launch(self, job: JobSpec) -> JobResult:
        """Run ``python -m harness.worker <job.spec_path>`` in each process.

        Must stream the job's output to the terminal, capture it into
        ``job.logs_dir``, and turn Ctrl-C into a canceled result after stopping
        every process it started. Must return a ``JobResult``: anything else ends
        the run ``Failed`` with a message naming the plugin.
        """
        raise NotImplementedError

    def worker_start(self, run: Run) -> None:
        """Runs in each job process of this compute (and of no other) before the
        estimator trains, e.g. to give ``run.comm`` its communicator. The
        estimator's traits are in ``run.spec.estimator_traits``."""


class Logger:
    """Receives a run's params, metrics and final status (on rank 0 only).

    Metric events arrive in batches so that ``run.log`` stays cheap; a logger
    that raises is reported once and switched off, never failing the job.
    """

    def __init__(self, run: Run, options: dict[str, Any]) -> None:
        self.run = run
        self.options = options

    def log_params(self, params: dict[str, Any]) -> None:
        """Called once when the job starts, with the resolved config."""

    def log_metrics(self, events: list[MetricEvent]) -> None:
        """Called with each flushed batch of metric events, in order."""

    def progress(self, description: str, completed: int, total: int | None) -> None:
        """Called by ``run.progress`` as an estimator advances (epochs, steps)."""

    def finish(self, status: str) -> None:
        """Called once when the job's process ends, with its status."""
