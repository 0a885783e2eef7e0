"""A handle on one run, live or finished: status, waiting, metrics, files,
tags and properties, cancel, model registration.

The CLI's ``harness runs`` actions call these same functions, so a notebook and
the shell see the same JSON objects.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from harness import inputs
from harness.errors import ConfigError, HarnessError, NotFoundError
from harness.run import metrics as run_metrics
from harness.run.liveness import reconcile
from harness.run.record import COMPLETED, RunRecord
from harness.run.store import RunStore


class RunFailedError(HarnessError):
    """``wait_for_completion(raise_on_error=True)`` on a run that did not complete."""

    exit_code = 1


# -- the JSON objects `harness runs list/show --format json` print --------------
def duration_s(record: RunRecord) -> float | None:
    """Seconds from start to end (or to now while running)."""
    if not record.started:
        return None
    start = datetime.fromisoformat(record.started)
    end = datetime.fromisoformat(record.ended) if record.ended else datetime.now().astimezone()
    return round((end - start).total_seconds(), 3)


def summary_json(store: RunStore, record: RunRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "experiment": record.experiment,
        "status": record.status,
        "estimator": record.estimator,
        "compute": record.compute,
        "created": record.created,
        "started": record.started,
        "ended": record.ended,
        "sweep_id": record.sweep_id,
        "tags": record.tags,
        "error": record.error,
        "metrics": store.current_metrics(record),
        "system": store.current_system(record),
        "duration_s": duration_s(record),
    }


def checked_history(run_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """A run's metric history; damaged lines are skipped with one warning line."""
    from harness.errors import warn

    damaged: list[str] = []
    history = run_metrics.history(run_dir, damaged)
    line = run_metrics.damaged_summary(run_dir, damaged)
    if line:
        warn(line)
    return history


def detail_json(store: RunStore, record: RunRecord, history: bool = True) -> dict[str, Any]:
    """`harness runs show --format json`; without ``history`` (the dashboard reads a
    long history as downsampled curves instead) the same object less that key."""
    assert record.path is not None
    data = summary_json(store, record)
    data.update({"params": record.params, "overrides": record.overrides})
    if history:
        data["history"] = checked_history(record.path)
    data.update(
        {
            "files": store.files(record),
            "provenance": record.provenance,
            "world_size": record.world_size,
            "path": str(record.path),
            "pid": record.pid,
            "host": record.host,
            # What computes and plugins add (e.g. slurm_job_id).
            "extra": record.extra,
            "properties": dict(record.extra.get("properties") or {}),
        }
    )
    return data


def v1_metrics(history: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Azure ML v1's ``get_metrics``: one value → the value; several → a list;
    rows (``log_row``/``log_table``) → column → list of values."""
    result: dict[str, Any] = {}
    for name, points in history.items():
        values = [p["value"] for p in points]
        if values and all(isinstance(v, dict) for v in values):
            columns: dict[str, list[Any]] = {}
            for row in values:
                for key, item in row.items():
                    columns.setdefault(key, []).append(item)
            result[name] = columns
        else:
            result[name] = values[0] if len(values) == 1 else values
    return result


def inside_run(record: RunRecord, path: str) -> Path:
    """``path`` (relative to the run folder) checked: under outputs/ or logs/ once
    normalised, no symlinks."""
    assert record.path is not None
    from harness.storage.safecopy import run_file

    target = run_file(record.path, path, f"run {record.id}")
    if not target.exists():
        raise NotFoundError(
            f"run {record.id} has no '{path}' (see `harness runs show {record.id}` for its files)"
        )
    return target


def copy_out(source: Path, dest: Path, shown: str | None = None) -> Path:
    """Copy a run's file or folder to ``dest`` (a new path, or an existing folder):
    regular files only; symlinks and special files inside a folder are skipped and
    named in a warning (harness/storage/safecopy.py)."""
    from harness.errors import warn
    from harness.storage.safecopy import copy_out as safe_copy

    report = safe_copy(source, dest)
    for rel in report.skipped:
        named = (shown or source.name).rstrip("/")
        warn(f"skipped {named}/{rel}: a symlink or special file, not copied")
    assert report.target is not None  # (set by every copy that returns)
    return Path(report.target)


def cancel_run(
    store: RunStore,
    run_id: str,
    *,
    wait: bool = True,
    timeout: float = 60.0,
    start_grace_s: float = 10.0,
    on_signal: Callable[[RunRecord], None] | None = None,
) -> tuple[RunRecord, bool]:
    """Stop a running job through its driver: the one cancel of the harness
    (``run.cancel()``, ``harness runs cancel``, the dashboard, ``SweepRun.cancel()``).

    SIGTERM to the driver (``record.pid`` on ``record.host``), which stops the job's
    process group and writes ``Canceled`` itself: one writer of the final status,
    and the tested shutdown path of Ctrl-C (a ``Queued`` run's driver takes it the
    same way). A record that names no driver yet (written by an older harness) is
    waited for up to ``start_grace_s``; one whose driver is gone is marked ``Failed``. ``on_signal`` is called once the signal is sent; with
    ``wait`` the call returns when the run is final or ``timeout`` has passed.

    Returns the latest record and whether a signal was sent (False: the driver
    was already gone and the run has been reconciled to its final status)."""
    from harness.run.ownership import unproven

    found = store.get(run_id)
    record = reconcile(store, found)
    if record.is_final and not found.is_final:
        return record, False  # its driver was gone: the run is Failed now
    grace = time.monotonic() + start_grace_s
    while not record.is_final and record.pid is None:
        if time.monotonic() >= grace:
            raise HarnessError(f"run {record.id} has not started yet; try again in a moment")
        time.sleep(0.1)
        record = reconcile(store, store.get(record.id))
    if record.is_final:
        raise HarnessError(f"run {record.id} is already {record.status}; nothing to cancel")
    if record.host != socket.gethostname():
        raise HarnessError(
            f"run {record.id} is driven from host {record.host}; run the cancel there"
        )
    why = unproven(record)
    if why is not None:
        record = reconcile(store, store.get(record.id))
        if record.is_final:
            return record, False
        raise HarnessError(
            f"run {record.id}: not signalling pid {record.pid}: {why}; "
            "only the run's own driver is ever signalled"
        )
    assert record.pid is not None  # (unproven() refused a record without one)
    try:
        os.kill(record.pid, signal.SIGTERM)
    except ProcessLookupError:
        return reconcile(store, store.get(record.id)), False
    if on_signal is not None:
        on_signal(record)
    deadline = time.monotonic() + timeout
    while wait and time.monotonic() < deadline:
        record = reconcile(store, store.get(record.id))
        if record.is_final:
            break
        time.sleep(0.2)
    return record, True


def delete_run(store: RunStore, record: RunRecord) -> None:
    """Remove a finished run and everything it wrote (``harness runs delete``); the
    store refuses an active run and keeps a racing writer from bringing it back."""
    store.delete(record.id)


class Run:
    """A run in the workspace: ``Run(experiment, run_id)`` or ``Run.get(run_id)``."""

    def __init__(
        self, experiment: Any = None, run_id: str | None = None, *, workspace: Any = None
    ) -> None:
        from harness.sdk.workspace import Workspace

        if run_id is None:
            raise ConfigError("Run(experiment, run_id) needs the run id")
        self.workspace = workspace or getattr(experiment, "workspace", None) or Workspace()
        self.store = RunStore(self.workspace.home)
        record = self.store.get(str(run_id))
        self.id = record.id
        self._experiment = experiment

    @classmethod
    def get(cls, run_id: str, workspace: Any = None) -> Run:
        return cls(None, run_id, workspace=workspace)

    # -- the record ------------------------------------------------------------
    def record(self) -> RunRecord:
        record = self.store.get(self.id)
        return record if record.is_final else reconcile(self.store, record)

    @property
    def experiment(self) -> Any:
        if self._experiment is None:
            from harness.sdk.experiment import Experiment

            self._experiment = Experiment(self.record().experiment, workspace=self.workspace)
        return self._experiment

    @property
    def status(self) -> str:
        return self.record().status

    def get_status(self) -> str:
        return self.record().status

    @property
    def tags(self) -> dict[str, str]:
        return dict(self.record().tags)

    def get_tags(self) -> dict[str, str]:
        return self.tags

    @property
    def properties(self) -> dict[str, str]:
        return dict(self.record().extra.get("properties") or {})

    def get_properties(self) -> dict[str, str]:
        return self.properties

    @property
    def parent(self) -> Any:
        sweep_id = self.record().sweep_id
        if not sweep_id:
            return None
        from harness.sdk.sweep import SweepRun

        return SweepRun(sweep_id, workspace=self.workspace)

    def get_details(self) -> dict[str, Any]:
        """The same object as ``harness runs show RUN --format json``."""
        return detail_json(self.store, self.record())

    # -- waiting -----------------------------------------------------------------
    def wait_for_completion(
        self,
        show_output: bool = False,
        wait_post_processing: bool = False,
        raise_on_error: bool = True,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Block until the run ends; with ``show_output`` stream its output as
        ``harness runs logs -f`` does. Returns ``get_details()``."""
        from harness.sdk.follow import POLL_S, follow

        deadline = None if timeout is None else time.monotonic() + timeout
        record = self.record()
        assert record.path is not None
        if show_output:
            print(f"RunId: {self.id}\n", flush=True)
            done = follow(record.logs_dir, lambda: self.record().is_final, deadline=deadline)
        else:
            done = True
            while not self.record().is_final:
                if deadline is not None and time.monotonic() > deadline:
                    done = False
                    break
                time.sleep(POLL_S)
        if not done:
            raise HarnessError(f"run {self.id} is still {self.status} after {timeout:g} s")
        record = self.record()
        if show_output:
            print(
                f"\nExecution Summary\n=================\nRunId: {self.id}\n"
                f"Status: {record.status}" + (f"\nError: {record.error}" if record.error else ""),
                flush=True,
            )
        if raise_on_error and record.status != COMPLETED:
            raise RunFailedError(
                f"run {self.id} ended {record.status}: {record.error or 'no error recorded'}"
            )
        return detail_json(self.store, record)

    # -- metrics -----------------------------------------------------------------
    def get_metrics(self, name: str | None = None, recursive: bool = False) -> dict[str, Any]:
        record = self.record()
        assert record.path is not None
        values = v1_metrics(run_metrics.history(record.path))
        if name is not None:
            values = {name: values[name]} if name in values else {}
        if recursive:
            return {self.id: values, **{c.id: c.get_metrics(name) for c in self.get_children()}}
        return values

    def get_metric_history(self, name: str | None = None) -> dict[str, list[dict[str, Any]]]:
        """Every logged point: name → ``[{"step", "value", "time"}]`` (``runs metrics``)."""
        record = self.record()
        assert record.path is not None
        history = checked_history(record.path)
        if name is None:
            return history
        if name not in history:
            known = ", ".join(sorted(history)) or "(none logged)"
            raise ConfigError(f"run {record.id} has no metric '{name}'. Metrics: {known}")
        return {name: history[name]}

    # -- files -------------------------------------------------------------------
    def get_file_names(self) -> list[str]:
        return self.store.files(self.record())

    def download_file(
        self,
        name: str,
        output_file_path: str | os.PathLike[str] | None = None,
        _validate_checksum: bool = False,
    ) -> Path:
        source = inside_run(self.record(), name)
        return copy_out(source, Path(output_file_path or ".").expanduser(), shown=name)

    def download_files(
        self,
        prefix: str = "",
        output_directory: str | os.PathLike[str] | None = None,
        output_paths: Any = None,
        batch_size: int = 100,
        append_prefix: bool = True,
        timeout_seconds: Any = None,
    ) -> list[Path]:
        """Every file whose name starts with ``prefix``, below ``output_directory``
        (with its path in the run when ``append_prefix``, as in v1)."""
        record = self.record()
        target_root = Path(output_directory or ".").expanduser()
        got = []
        for name in self.get_file_names():
            if not name.startswith(prefix):
                continue
            relative = name if append_prefix else name[len(prefix) :].lstrip("/")
            dest = target_root / relative
            dest.parent.mkdir(parents=True, exist_ok=True)
            got.append(copy_out(inside_run(record, name), dest, shown=name))
        return got

    # -- changing ----------------------------------------------------------------
    def cancel(self, timeout: float = 60.0) -> None:
        """Stop the run (as ``harness runs cancel``) and wait until it is final."""
        record, _ = cancel_run(self.store, self.id, timeout=timeout)
        if not record.is_final:
            raise HarnessError(f"run {self.id} is still stopping; check get_status() later")

    def rerun(self) -> Run:
        """Submit this run's config again, as ``harness runs rerun`` does: the
        recorded overrides from the recorded folder, the environment pinned to the
        recorded one, tagged ``rerun_of``. Returns the new run without waiting."""
        from harness.sdk import submit as launcher
        from harness.sdk.rerun import rerun_overrides

        record = self.record()
        if not record.overrides and not record.params:
            raise NotFoundError(f"run {record.id} has no recorded config to run again")
        cwd = (record.provenance or {}).get("cwd")
        _, ident, _ = launcher.start(
            rerun_overrides(record),
            self.workspace.home,
            cwd=cwd if cwd and Path(cwd).is_dir() else None,
        )
        return Run(None, ident, workspace=self.workspace)

    def delete(self) -> None:
        """Delete this (finished) run and its files."""
        delete_run(self.store, self.record())

    def tag(self, key: str, value: Any = None) -> None:
        self.set_tags({key: "" if value is None else value})

    def set_tags(self, tags: dict[str, Any]) -> None:
        self.store.set_tags(self.id, tags)

    def add_properties(self, properties: dict[str, Any]) -> None:
        """Properties are write-once, as in v1: a key keeps its first value."""

        checked = inputs.properties(properties)

        def change(record: RunRecord) -> None:
            current = record.extra.setdefault("properties", {})
            for key, value in checked.items():
                if key in current and current[key] != str(value):
                    raise ConfigError(
                        f"run {record.id}: property '{key}' is already '{current[key]}'; "
                        "properties cannot change (use tags for values that change)"
                    )
                current[str(key)] = str(value)

        self.store.update(self.id, change)

    def register_model(
        self,
        model_name: str,
        model_path: str | None = None,
        tags: dict[str, Any] | None = None,
        properties: dict[str, Any] | None = None,
        description: str | None = None,
        **_ignored: Any,
    ) -> Any:
        """Copy a file or folder this run wrote in as the next version of ``model_name``."""
        from harness.sdk.model import Model
        from harness.storage.model_registry import ModelRegistry

        if not model_path:
            raise ConfigError("register_model needs model_path (e.g. outputs/model.pkl)")
        record = self.record()
        entry = ModelRegistry(self.workspace.home).register(
            model_name,
            record,
            str(model_path),
            metrics=self.store.current_metrics(record),
            tags={str(k): str(v) for k, v in (tags or {}).items()},
            description=description or "",
            properties={str(k): str(v) for k, v in (properties or {}).items()},
        )
        return Model(self.workspace, entry=entry)

    def get_children(self, **_: Any) -> list[Run]:
        return []

    def __repr__(self) -> str:
        record = self.record()
        return f"Run(id={self.id!r}, experiment={record.experiment!r}, status={record.status!r})"

    def _repr_html_(self) -> str:
        from html import escape

        record = self.record()
        return (
            f"<table><tr><th>Experiment</th><th>Id</th><th>Status</th><th>Folder</th></tr>"
            f"<tr><td>{escape(record.experiment)}</td><td>{escape(self.id)}</td>"
            f"<td>{escape(record.status)}</td><td>{escape(str(record.path))}</td></tr></table>"
        )
