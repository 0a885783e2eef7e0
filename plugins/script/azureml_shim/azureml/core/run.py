"""``azureml.core.run.Run`` recording into the harness run (script mode's azureml_compat).

Covers what training scripts use: ``Run.get_context()``, ``log``, ``log_list``,
``log_row``, ``log_table``, ``log_image``, ``tag``, ``set_tags``, ``get_tags``,
``upload_file``, ``complete``, ``fail``, ``id``, ``experiment.name``. The run's final
status follows the script's exit status, so ``complete()`` and ``fail()`` only flush.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

__all__ = ["Run"]


class Run:
    """Azure ML's Run, backed by ``harness.Run.get_context()``."""

    def __init__(self, run: Any) -> None:
        self._run = run
        self.id = run.id
        self.experiment = SimpleNamespace(name=run.experiment)
        self._tags: dict[str, Any] = {}

    @classmethod
    def get_context(cls, allow_offline: bool = True, **_: Any) -> Run:
        from harness import Run as HarnessRun

        run = HarnessRun.get_context()
        if run.is_offline and not allow_offline:
            raise RuntimeError("not inside a harness run (allow_offline=False)")
        return cls(run)

    # -- metrics ---------------------------------------------------------------
    def log(self, name: str, value: Any, description: str = "", step: int | None = None) -> None:
        self._run.log(name, value, step=step)

    def log_list(self, name: str, value: list[Any], description: str = "") -> None:
        self._run.log_list(name, value)

    def log_row(self, name: str, description: str | None = None, **kwargs: Any) -> None:
        self._run.log_row(name, **kwargs)

    def log_table(self, name: str, value: dict[str, list[Any]], description: str = "") -> None:
        """A dict of equal-length columns, logged as one row per index."""
        columns = list(value)
        for values in zip(*(value[c] for c in columns), strict=True):
            self._run.log_row(name, **dict(zip(columns, values, strict=True)))

    def log_image(
        self, name: str, path: str | None = None, plot: Any = None, description: str = ""
    ) -> None:
        """Save the image under ``outputs/images/`` and log its path there."""
        if (path is None) == (plot is None):
            raise ValueError("log_image needs exactly one of path= or plot=")
        folder = Path(self._run.outputs_dir) / "images"
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
        self._run.log(name, f"outputs/images/{target.name}")

    # -- tags ------------------------------------------------------------------
    def tag(self, key: str, value: Any = None) -> None:
        self.set_tags({key: "" if value is None else value})

    def set_tags(self, tags: dict[str, Any]) -> None:
        self._tags.update(tags)
        self._run.set_tags({str(k): str(v) for k, v in tags.items()})

    def get_tags(self) -> dict[str, Any]:
        return dict(self._tags)

    # -- files and status --------------------------------------------------------
    def upload_file(self, name: str, path_or_stream: str) -> None:
        """Copy a file into the run as ``name`` (``outputs/...`` as in Azure ML)."""
        target = Path(self._run.run_dir) / name
        if not name.startswith(("outputs/", "logs/")):
            target = Path(self._run.outputs_dir) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path_or_stream, target)

    def flush(self) -> None:
        self._run.flush()

    def complete(self, set_status: bool = True) -> None:
        self._run.flush()

    def fail(self, error_details: Any = None, **_: Any) -> None:
        self._run.flush()

    def __repr__(self) -> str:
        return f"Run(id={self.id!r}, experiment={self.experiment.name!r}, harness shim)"
