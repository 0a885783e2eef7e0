"""The ``script`` estimator: run a user's training script from a snapshot of its folder.

Driver: ``validate`` checks the folder, the script and the snapshot size (exit 2
on a mistake); ``prepare`` copies the snapshot into ``<run>/snapshot`` once, before
any process starts. Worker (each rank): ``train`` runs ``python ENTRY ARGS`` as a
child process in the snapshot, with the run's environment, and passes its exit
status on. The child shares the worker's stdout/stderr (captured by the compute)
and its process group (so Ctrl-C reaches it).
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from harness.contract import envvars
from harness.contract.compat import script_python_path
from harness.contract.components import Estimator
from harness.contract.files import atomic_write_json, harness_home, read_json
from harness.errors import ConfigError
from harness.plugins.script import snapshot as snapshots
from harness.plugins.script.arguments import build_argv

#: Ranks other than 0 (under MPI) run in ``<run>/ranks/<N>/``: a view of the snapshot
#: whose ``outputs/`` is their own, so they cannot overwrite rank 0's files.
RANKS_DIR = "ranks"
#: The script's command line, written into the run folder by ``prepare``.
COMMAND_FILE = "script.json"
#: Seconds the script gets to stop after Ctrl-C before it is killed.
STOP_GRACE_S = 8.0


def _container(node: Any) -> Any:
    from omegaconf import DictConfig, ListConfig, OmegaConf

    if isinstance(node, (DictConfig, ListConfig)):
        return OmegaConf.to_container(node, resolve=True)
    return node


def source_directory(est: Any) -> Path:
    """The source folder, relative to the driver's working directory."""
    raw = est.get("source_directory") or "."
    path = Path(str(raw)).expanduser()
    if not path.is_dir():
        raise ConfigError(
            f"estimator.source_directory: folder '{raw}' does not exist "
            f"(looked in {path.resolve()}); give the folder that holds your script"
        )
    return path.resolve()


def script_argv(est: Any) -> list[str]:
    return build_argv(_container(est.get("script_params")), _container(est.get("arguments")))


class ScriptEstimator(Estimator):
    """Azure ML's ScriptRunConfig: ``source_directory``, ``entry_script``, arguments."""

    # The script is a child process; under compute=mpi it owns the MPI rank.
    trains_in_child_process = True

    def __init__(self) -> None:
        self._snapshot: snapshots.Snapshot | None = None

    def primary(self, config: Any) -> tuple[str, str]:
        est = config.estimator
        return str(est.get("primary_metric") or "accuracy"), str(est.get("goal") or "maximize")

    # -- driver ----------------------------------------------------------------
    def validate(self, config: Any) -> None:
        est = config.estimator
        source = source_directory(est)
        entry = est.get("entry_script")
        if not entry:
            raise ConfigError(
                "estimator.entry_script is required: the script to run, relative to "
                "estimator.source_directory (e.g. estimator.entry_script=train.py)"
            )
        script = (source / str(entry)).resolve()
        if not snapshots.inside(script, source):
            raise ConfigError(
                f"estimator.entry_script: '{entry}' is outside estimator.source_directory "
                f"({source}); the script must be part of the snapshot"
            )
        if not script.is_file():
            raise ConfigError(f"estimator.entry_script: '{entry}' not found in {source}")
        script_argv(est)
        max_mb = est.snapshot_max_mb  # defaults: config.py (the composed config has every key)
        if isinstance(max_mb, bool) or not isinstance(max_mb, (int, float)) or max_mb <= 0:
            raise ConfigError(
                f"estimator.snapshot_max_mb must be a positive number, got {max_mb!r}"
            )
        compat = est.azureml_compat
        if not isinstance(compat, bool):
            raise ConfigError(f"estimator.azureml_compat must be true or false, got {compat!r}")
        snap = snapshots.collect(source, exclude=(harness_home(),))
        if script.relative_to(source).as_posix() not in snap.files:
            raise ConfigError(
                f"estimator.entry_script: '{entry}' is left out of the snapshot by an ignore "
                f"file ({', '.join(snapshots.IGNORE_FILES)}) in {source}"
            )
        snapshots.check_size(snap, float(max_mb))
        self._snapshot = snap

    def prepare(self, config: Any, job: Any) -> None:
        snap = self._snapshot or snapshots.collect(
            source_directory(config.estimator), exclude=(harness_home(),)
        )
        target = Path(job.run_dir) / snapshots.SNAPSHOT_DIR
        snapshots.copy(snap, target)
        snapshots.link_run_folders(target, Path(job.run_dir))
        # The command line is fixed here, in the config's own key order (job.json
        # stores params with sorted keys, which would reorder script_params).
        est = config.estimator
        atomic_write_json(
            Path(job.run_dir) / COMMAND_FILE,
            {"entry_script": str(est.entry_script), "argv": script_argv(est)},
        )

    # -- worker ----------------------------------------------------------------
    def train(self, run: Any) -> None:
        est = run.params.estimator
        workdir = run.run_dir / snapshots.SNAPSHOT_DIR
        if not workdir.is_dir():
            raise RuntimeError(f"the run has no source snapshot at {workdir}")
        command = read_json(run.run_dir / COMMAND_FILE)
        entry, argv = command["entry_script"], command["argv"]
        if run.rank > 0:
            workdir = rank_view(run.run_dir, workdir, run.rank)
        if run.rank == 0:
            shown = shlex.join(["python", entry, *argv])
            print(f"harness: running {shown} in {workdir}", flush=True)
        from harness.contract.compute_kit import die_with_parent

        proc = subprocess.Popen(
            [sys.executable, *mpi_abort_mode(run), entry, *argv],
            cwd=workdir,
            env=script_environment(run, bool(est.get("azureml_compat", False))),
            # the script dies with its worker (an MPI rank killed with SIGKILL must not
            # leave its training script re-parented to init, still running)
            preexec_fn=die_with_parent(),  # noqa: PLW1509 - one prctl call
        )
        code = _wait(proc)
        if code != 0:
            from harness.contract.compute_kit import describe_exit

            said = describe_exit(code).replace("the job", entry, 1)
            print(f"harness: {said}", flush=True)
            raise SystemExit(code if code > 0 else 128 - code)


def mpi_abort_mode(run: Any) -> list[str]:
    """``-m mpi4py`` on several MPI ranks: a script that raises on one rank then calls
    MPI_Abort and ends the job, instead of leaving the other ranks in a collective."""
    import importlib.util

    if run.world_size > 1 and importlib.util.find_spec("mpi4py") is not None:
        return ["-m", "mpi4py"]
    return []


def rank_view(run_dir: Path, snapshot: Path, rank: int) -> Path:
    """``<run>/ranks/<rank>/``: links to every entry of the snapshot except
    ``outputs`` (the rank's own folder); ``logs`` is the run's."""
    view = run_dir / RANKS_DIR / str(rank)
    (view / "outputs").mkdir(parents=True, exist_ok=True)
    for entry in snapshot.iterdir():
        link = view / entry.name
        if entry.name == "outputs" or link.is_symlink() or link.exists():
            continue
        os.symlink(entry.resolve() if entry.name != "logs" else run_dir / "logs", link)
    return view


def rank_outputs(run_dir: Path) -> dict[int, int]:
    """Rank → number of files it wrote into its own ``outputs/`` (ranks > 0)."""
    found = {}
    for folder in sorted((run_dir / RANKS_DIR).glob("*/outputs")):
        count = sum(1 for p in folder.rglob("*") if p.is_file())
        if count and folder.parent.name.isdigit():
            found[int(folder.parent.name)] = count
    return found


def azureml_variables(run: Any) -> dict[str, str]:
    """Azure ML's per-rank variables that v1 training scripts read."""
    import socket

    host = socket.gethostname()
    named = (run.params.estimator.get("named_inputs") or {}) if run.params.get("estimator") else {}
    variables = {
        "AZUREML_RUN_ID": str(run.id),
        "AZUREML_EXPERIMENT_NAME": str(run.experiment),
        "AZUREML_RUN_TOKEN": "",
        "AZUREML_NODE_COUNT": str(run.params.get("compute", {}).get("node_count", 1) or 1),
        "AZ_BATCHAI_TASK_INDEX": str(run.rank),
        "AZ_BATCH_NODE_RANK": str(run.rank),
        "AZ_BATCHAI_MPI_MASTER_NODE": host,
        "AZ_BATCHAI_JOB_MASTER_NODE_IP": "127.0.0.1",
        "AZ_BATCH_MASTER_NODE": "127.0.0.1:6105",
        "AZUREML_PROCESS_RANK": str(run.rank),
        "AZUREML_WORLD_SIZE": str(run.world_size),
        "AZUREML_LOCAL_RANK": str(run.local_rank),
    }
    for name, path in dict(named).items():
        variables[f"AZUREML_DATAREFERENCE_{name}"] = str(path)
    return variables


def script_environment(run: Any, azureml_compat: bool) -> dict[str, str]:
    """The worker's environment (HARNESS_JOB_SPEC included) plus the run's folders.

    ``script_site/`` is always first on PYTHONPATH (its sitecustomize lets ``import
    chainer`` work on NumPy 2 and explains a forgotten azureml opt-in); the azureml
    shim only with ``azureml_compat`` (only this child sees it: nothing is installed).
    """
    env = dict(os.environ)
    env[envvars.OUTPUTS_DIR] = str(run.outputs_dir)
    env[envvars.LOGS_DIR] = str(run.logs_dir)
    env[envvars.RUN_ID] = str(run.id)
    paths = script_python_path(azureml_compat)
    if azureml_compat:
        for key, value in azureml_variables(run).items():
            env.setdefault(key, value)
    existing = env.get("PYTHONPATH")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (*paths, existing) if p)
    return env


def _wait(proc: subprocess.Popen[bytes]) -> int:
    """Wait for the script; pass SIGTERM on, and give it time to stop on Ctrl-C."""

    def forward(signum: int, frame: object) -> None:
        if proc.poll() is None:
            proc.send_signal(signum)

    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, forward) if main else None
    try:
        try:
            return proc.wait()
        except KeyboardInterrupt:
            # The script is in our process group, so the same SIGINT reached it; if the
            # interrupt came to this process alone, pass it on.
            try:
                proc.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            raise
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
