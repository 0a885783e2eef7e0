"""``azureml.core.Run``: one class for both sides, as in v1.

- Inside a job, ``Run.get_context()`` logs through the harness run of the job
  (``harness.Run``) and reads back through a handle on the same run.
- Outside, ``experiment.submit(...)``, ``Run(experiment, run_id)`` and
  ``Run.get(ws, run_id)`` give a handle (``harness.sdk.Run``) on any run.

Outside any job, ``get_context()`` is an offline run that prints what it logs.
The run's status follows the job's exit status, so ``complete()``/``fail()`` in a
script only flush (in an interactive ``experiment.start_logging()`` run they end it).
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from azureml._compat import Details, ignored, refuse, warn_once

__all__ = ["Run", "get_run"]


def portal_hint(what: str) -> str:
    """v1 printed a studio URL; locally the dashboard (``harness ui``) or the folder."""
    warn_once(
        "portal",
        "there is no Azure portal here; see runs with `harness runs show ID` "
        "or the local dashboard `harness ui`",
    )
    return f"harness runs show {what.split()[-1]}"


class Run:
    """Azure ML v1's Run (see the module docstring for the two sides)."""

    def __init__(self, experiment: Any, run_id: str, outputs: Any = None, **kwargs: Any) -> None:
        from harness.sdk.run import Run as Handle

        handle = Handle(experiment._native, run_id, workspace=experiment.workspace._native)
        self._setup(experiment, handle, None)

    def _setup(self, experiment: Any, handle: Any, context: Any) -> None:
        self._handle = handle
        self._context = context
        self.experiment = experiment
        self.id = handle.id if handle is not None else context.id
        self.name = self.display_name = self.id
        self.type = "azureml.scriptrun"
        self.number = 0

    @classmethod
    def _from_handle(cls, experiment: Any, handle: Any, context: Any = None) -> Run:
        run = cls.__new__(cls)
        run._setup(experiment, handle, context)
        return run

    # -- getting one -------------------------------------------------------------
    @classmethod
    def get_context(
        cls, allow_offline: bool = True, used_for_context_manager: bool = False, **kwargs: Any
    ) -> Run:
        from harness import Run as HarnessRun

        context = HarnessRun.get_context()
        if context.is_offline:
            if not allow_offline:
                raise refuse(
                    "Run.get_context(allow_offline=False) outside a job",
                    "submit the script with experiment.submit(...) or harness train",
                )
            run = cls.__new__(cls)
            run._setup(SimpleNamespace(name="offline", workspace=None, id="offline"), None, context)
            run.id = run.name = f"OfflineRun_{uuid.uuid4()}"
            return run
        from azureml.core.experiment import Experiment
        from azureml.core.workspace import Workspace
        from harness.sdk.run import Run as Handle
        from harness.sdk.workspace import Workspace as NativeWorkspace

        native_ws = NativeWorkspace(home=Path(context.run_dir).parent.parent)
        experiment = Experiment(Workspace(_native=native_ws), context.experiment)
        return cls._from_handle(
            experiment, Handle(experiment._native, context.id, workspace=native_ws), context
        )

    @staticmethod
    def get(workspace: Any, run_id: str) -> Run:
        from azureml.core.experiment import Experiment
        from harness.sdk.run import Run as Handle

        handle = Handle.get(run_id, workspace=workspace._native)
        return Run._from_handle(Experiment(workspace, handle.record().experiment), handle)

    # -- status and details ------------------------------------------------------------
    def _need_handle(self, what: str) -> Any:
        if self._handle is None:
            raise refuse(f"{what} on an offline run", "submit the script to get a recorded run")
        return self._handle

    def get_status(self) -> str:
        return self._need_handle("get_status").get_status() if self._handle else "Running"

    @property
    def status(self) -> str:
        return self.get_status()

    def get_details(self) -> Details:
        handle = self._need_handle("get_details")
        native = handle.get_details()
        return Details(
            runId=native["id"],
            target=native["compute"],
            status=native["status"],
            startTimeUtc=native["started"],
            endTimeUtc=native["ended"],
            properties=native["properties"],
            tags=native["tags"],
            inputDatasets=native["provenance"].get("datastores", []),
            logFiles={
                f: str(Path(native["path"]) / f) for f in native["files"] if f.startswith("logs/")
            },
            error=native["error"],
            runDefinition=run_definition(native),
            harness=native,
        )

    def get_details_with_logs(self) -> Details:
        return self.get_details()

    def wait_for_completion(
        self,
        show_output: bool = False,
        wait_post_processing: bool = False,
        raise_on_error: bool = True,
    ) -> Details:
        from azureml.exceptions import ActivityFailedException
        from harness.sdk.run import RunFailedError

        try:
            self._need_handle("wait_for_completion").wait_for_completion(
                show_output=show_output, raise_on_error=raise_on_error
            )
        except RunFailedError as exc:  # v1 code catches ActivityFailedException
            raise ActivityFailedException(str(exc)) from None
        return self.get_details()

    def get_portal_url(self) -> str:
        return portal_hint(f"run {self.id}")

    def cancel(self) -> None:
        self._need_handle("cancel").cancel()

    @property
    def parent(self) -> Any:
        if self._handle is None:
            return None
        sweep = self._handle.parent
        if sweep is None:
            return None
        from azureml.train.hyperdrive import HyperDriveRun

        return HyperDriveRun(self.experiment, sweep)

    def get_children(self, recursive: bool = False, **kwargs: Any) -> list[Run]:
        return []

    @property
    def input_datasets(self) -> dict[str, Any]:
        """Named inputs (``dataset.as_named_input(NAME)``) → the local path the job got."""
        if self._context is None:
            return {}
        estimator = self._context.params.get("estimator") or {}
        return dict(estimator.get("named_inputs") or {})

    # -- logging (inside the job) ---------------------------------------------------------
    def _log_to(self, what: str) -> Any:
        if self._context is None:
            raise refuse(
                f"run.{what} from outside the job",
                "log inside the training script with Run.get_context()",
            )
        return self._context

    def log(self, name: str, value: Any, description: str = "", step: int | None = None) -> None:
        self._log_to("log").log(name, value, step=step)

    def log_list(self, name: str, value: list[Any], description: str = "") -> None:
        self._log_to("log_list").log_list(name, value)

    def log_row(self, name: str, description: str | None = None, **kwargs: Any) -> None:
        self._log_to("log_row").log_row(name, **kwargs)

    def log_table(self, name: str, value: dict[str, list[Any]], description: str = "") -> None:
        """A dict of equal-length columns, logged as one row per index."""
        context = self._log_to("log_table")
        columns = list(value)
        for values in zip(*(value[c] for c in columns), strict=True):
            context.log_row(name, **dict(zip(columns, values, strict=True)))

    def _log_json(self, what: str, name: str, value: Any) -> None:
        data = json.loads(value) if isinstance(value, str) else value
        self._log_to(what).log(name, data)

    def log_confusion_matrix(self, name: str, value: Any, description: str = "") -> None:
        self._log_json("log_confusion_matrix", name, value)

    def log_accuracy_table(self, name: str, value: Any, description: str = "") -> None:
        self._log_json("log_accuracy_table", name, value)

    def log_predictions(self, name: str, value: Any, description: str = "") -> None:
        self._log_json("log_predictions", name, value)

    def log_residuals(self, name: str, value: Any, description: str = "") -> None:
        self._log_json("log_residuals", name, value)

    def log_image(
        self, name: str, path: str | None = None, plot: Any = None, description: str = ""
    ) -> None:
        """Save the image under ``outputs/images/`` and log its path there."""
        context = self._log_to("log_image")
        if (path is None) == (plot is None):
            raise refuse("log_image without exactly one of path= or plot=", "give one of them")
        folder = Path(context.outputs_dir) / "images"
        folder.mkdir(parents=True, exist_ok=True)
        stem = re.sub(r"[^\w.-]+", "_", name) or "image"
        if plot is not None:
            target = folder / f"{stem}.png"
            plot.savefig(target)
        else:
            source = Path(path)
            target = folder / f"{stem}{source.suffix or '.png'}"
            if source.resolve() != target.resolve():
                shutil.copyfile(source, target)
        context.log(name, f"outputs/images/{target.name}")

    # -- tags and properties ------------------------------------------------------------
    def tag(self, key: str, value: Any = None) -> None:
        self.set_tags({key: "" if value is None else value})

    def set_tags(self, tags: dict[str, Any]) -> None:
        if self._handle is not None:
            self._handle.set_tags(tags)
        elif self._context is not None:
            self._context.set_tags(tags)

    def get_tags(self) -> dict[str, str]:
        return self._handle.get_tags() if self._handle is not None else {}

    @property
    def tags(self) -> dict[str, str]:
        return self.get_tags()

    def add_properties(self, properties: dict[str, Any]) -> None:
        self._need_handle("add_properties").add_properties(properties)

    def get_properties(self) -> dict[str, str]:
        return self._handle.properties if self._handle is not None else {}

    @property
    def properties(self) -> dict[str, str]:
        return self.get_properties()

    # -- metrics and files ------------------------------------------------------------------
    def get_metrics(
        self,
        name: str | None = None,
        recursive: bool = False,
        run_type: Any = None,
        populate: bool = False,
    ) -> dict[str, Any]:
        if self._handle is None:
            return {}
        if self._context is not None:
            self._context.flush()
        return self._handle.get_metrics(name, recursive=recursive)

    def get_file_names(self) -> list[str]:
        return self._need_handle("get_file_names").get_file_names()

    def download_file(
        self, name: str, output_file_path: str | None = None, _validate_checksum: bool = False
    ) -> None:
        handle = self._need_handle("download_file")
        handle.download_file(_stored_name(handle, name), output_file_path)

    def download_files(
        self,
        prefix: str | None = None,
        output_directory: str | None = None,
        output_paths: Any = None,
        batch_size: int = 100,
        append_prefix: bool = True,
        timeout_seconds: Any = None,
    ) -> None:
        self._need_handle("download_files").download_files(
            prefix or "", output_directory, append_prefix=append_prefix
        )

    def upload_file(self, name: str, path_or_stream: Any, datastore_name: Any = None) -> None:
        """Copy a file into the run as ``name`` (``outputs/...`` as in Azure ML)."""
        run_dir = (
            Path(self._context.run_dir)
            if self._context is not None and not self._context.is_offline
            else None
        )
        if run_dir is None:
            if self._handle is None:
                raise refuse(
                    "upload_file on an offline run", "submit the script to get a recorded run"
                )
            run_dir = Path(self._handle.record().path)
        target = (run_dir / name).resolve()
        if not target.is_relative_to(run_dir.resolve()):
            raise refuse(f"upload_file to '{name}' outside the run", "give a name like outputs/x")
        if not name.startswith(("outputs/", "logs/")):
            target = run_dir / "outputs" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if hasattr(path_or_stream, "read"):
            target.write_bytes(path_or_stream.read())
        else:
            shutil.copyfile(path_or_stream, target)

    def upload_files(self, names: list[str], paths: list[str], **kwargs: Any) -> None:
        for name, path in zip(names, paths, strict=True):
            self.upload_file(name, path)

    def upload_folder(self, name: str, path: str, **kwargs: Any) -> None:
        for file in Path(path).rglob("*"):
            if file.is_file():
                self.upload_file(
                    f"{name.rstrip('/')}/{file.relative_to(path).as_posix()}", str(file)
                )

    def register_model(
        self,
        model_name: str,
        model_path: str | None = None,
        tags: Any = None,
        properties: Any = None,
        model_framework: Any = None,
        model_framework_version: Any = None,
        description: str | None = None,
        datasets: Any = None,
        sample_input_dataset: Any = None,
        sample_output_dataset: Any = None,
        resource_configuration: Any = None,
        **kwargs: Any,
    ) -> Any:
        from azureml.core.model import Model

        if self._context is not None:
            self._context.flush()  # the entry links the metrics logged so far
        handle = self._need_handle("register_model")
        if model_path is not None:
            model_path = _stored_name(handle, model_path)
        native = handle.register_model(
            model_name, model_path, tags=tags, properties=properties, description=description
        )
        return Model(self.experiment.workspace, entry=native._entry)

    # -- ending -------------------------------------------------------------------------------
    def flush(self) -> None:
        if self._context is not None:
            self._context.flush()

    def complete(self, _set_status: bool = True) -> None:
        self.flush()
        if getattr(self, "_interactive", False):
            from harness.sdk.interactive import finish

            self._keep_tracked_outputs()
            finish(self._handle, self._context, "Completed")

    def _keep_tracked_outputs(self) -> None:
        """An interactive run's ``./outputs`` (start_logging) into the run's outputs."""
        folder = getattr(self, "_tracked_outputs", None)
        if folder is None or self._context is None or not Path(folder).is_dir():
            return
        target = Path(self._context.outputs_dir)
        for file in sorted(Path(folder).rglob("*")):
            if file.is_file() and not file.is_symlink():
                dest = target / file.relative_to(folder)
                if not dest.exists():
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(file, dest)

    def fail(
        self, error_details: Any = None, error_code: Any = None, _set_status: bool = True
    ) -> None:
        self.flush()
        if getattr(self, "_interactive", False):
            from harness.sdk.interactive import finish

            self._keep_tracked_outputs()
            finish(self._handle, self._context, "Failed", str(error_details or ""))

    def child_run(self, *args: Any, **kwargs: Any) -> Any:
        raise refuse("child runs", "start separate runs, or a sweep (HyperDriveConfig)")

    def __enter__(self) -> Run:
        return self

    def __exit__(self, kind: Any, value: Any, tb: Any) -> None:
        if kind is None:
            self.complete()
        else:
            self.fail(value)

    def __repr__(self) -> str:
        exp = getattr(self.experiment, "name", "?")
        status = self.get_status() if self._handle is not None else "offline"
        return f"Run(Experiment: {exp},\nId: {self.id},\nType: {self.type},\nStatus: {status})"

    def _repr_html_(self) -> str:
        return self._handle._repr_html_() if self._handle is not None else repr(self)


def run_definition(native: dict[str, Any]) -> Details:
    """v1's ``get_details()['runDefinition']``: what ran, as v1 named it. The
    ``arguments`` are the script's command line as the job got it (``script.json``
    in the run folder: sampled sweep values in place), as strings."""
    command: dict[str, Any] = {}
    with contextlib.suppress(OSError, ValueError):
        command = json.loads((Path(native["path"]) / "script.json").read_text())
    params = native.get("params") or {}
    compute = params.get("compute") or {}
    environment = (native.get("provenance") or {}).get("environment") or {}
    mpi = native.get("compute") == "mpi"
    return Details(
        script=command.get("entry_script"),
        command="",
        arguments=[str(a) for a in command.get("argv", [])],
        framework="Python",
        communicator="Mpi" if mpi else "None",
        target=native.get("compute"),
        nodeCount=int(compute.get("node_count") or 1) if mpi else 1,
        mpi={"processCountPerNode": int(compute.get("process_count_per_node") or 1)},
        environment={
            "name": environment.get("name"),
            "version": environment.get("version"),
            "python": {
                "interpreterPath": environment.get("interpreter") or "python",
                "userManagedDependencies": not environment,
            },
        },
        dataReferences={},
        data=dict((params.get("estimator") or {}).get("named_inputs") or {}),
        maxRunDurationSeconds=None,
    )


def get_run(experiment: Any, run_id: str, **_: Any) -> Run:
    ignored("get_run extras", None)
    return Run(experiment, run_id)


def _stored_name(handle: Any, name: str) -> str:
    """Where the run keeps what v1 named ``name``: a bare name (``upload_file(name=...)``,
    MLflow's ``model/model.pkl`` in a v1 job) is kept under ``outputs/``."""
    name = name.strip("/")
    if name.startswith(("outputs/", "logs/")) or name in ("outputs", "logs"):
        return name
    files = handle.get_file_names()
    if name in files or any(f.startswith(f"{name}/") for f in files):
        return name
    inside = f"outputs/{name}"
    if inside in files or any(f.startswith(f"{inside}/") for f in files):
        return inside
    return name
