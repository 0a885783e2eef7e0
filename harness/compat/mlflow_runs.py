"""MLflow inside an Azure ML v1 job: what it logged is kept in the run.

On Azure a job's MLflow calls went to the job's own run (the tracking URI and run
id were set for it), so ``mlflow.autolog()`` left ``model/model.pkl`` among the
run's files and ``run.register_model(model_path="model/model.pkl")`` found it
(Azure's MNIST quickstart). Here MLflow tracks where the script points it (its
default, a store in the job's folder); at the job's exit the artifacts of the
MLflow run it logged last (and, with MLflow 3, of the models that run logged, each
under its name) are copied into the run's ``outputs/``, where the v1 layer finds a
bare name (``model/model.pkl`` → ``outputs/model/model.pkl``).

Called from the script site's exit hook, only when the script imported mlflow.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse


def keep_mlflow_artifacts(outputs: Path) -> list[str]:
    """Copy the artifacts of this process's last MLflow run into ``outputs``;
    returns the copied files (relative to ``outputs``). Nothing when the script
    logged no MLflow run. Runs at interpreter exit, where MLflow's own (threaded)
    download cannot: a local artifact store is copied as files; any other is named
    in one warning."""
    mlflow = sys.modules.get("mlflow")
    if mlflow is None:
        return []
    run = mlflow.last_active_run()
    if run is None:
        return []
    folders = [(run.info.artifact_uri, "")]
    # MLflow 3 keeps a logged model (autolog's "model") apart from its run's files;
    # MLflow 1-2, which Azure's v1 samples knew, kept it in the run as model/.
    if hasattr(mlflow, "search_logged_models"):
        models = mlflow.search_logged_models(
            experiment_ids=[run.info.experiment_id],
            filter_string=f"source_run_id = '{run.info.run_id}'",
            output_format="list",
        )
        folders += [(m.artifact_location, m.name) for m in models]
    copied: list[str] = []
    for uri, under in folders:
        source = _local_folder(uri)
        if source is None:
            raise RuntimeError(f"{uri} is not a local folder")
        for path in sorted(source.rglob("*")) if source.is_dir() else []:
            if path.is_file():
                relative = Path(under, path.relative_to(source))
                target = outputs / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
                copied.append(relative.as_posix())
    return copied


def _local_folder(uri: str) -> Path | None:
    parsed = urlparse(uri)
    if parsed.scheme in ("", "file"):
        return Path(unquote(parsed.path) if parsed.scheme else uri)
    return None
