"""Loaded by a script-mode job's Python at start (this folder is on its PYTHONPATH).

- Chainer 7 reads ``np.sctypes``, removed in NumPy 2: restore it just before
  ``chainer`` is imported, so a user's own ``import chainer`` works with the
  harness's ``[chainer]`` install as the built-in estimator does.
- Where the Azure ML v1 layer is on the job's path (``estimator.azureml_compat``
  or the opt-in), NumPy's removed aliases (``np.float``, ``np.str``, ``np.float_``...)
  are put back as NumPy is imported: v1 scripts were written against NumPy 1.x and
  call them (harness/compat/numpy2.py).
- In a v1 job (the layer on its path), what the script logged to MLflow
  (``mlflow.autolog()``'s ``model/``) is copied into the run's ``outputs/`` at exit,
  as Azure kept it among the run's files (harness/compat/mlflow_runs.py).
- Stand-in data: torchvision's CIFAR classes check the official archives' md5
  sums, which small stand-in files (``harness.datasets.synthetic``, the examples'
  data makers) cannot match. For a dataset folder that holds a
  ``.harness-standin`` marker file, and only there, existence is checked instead.
- A forgotten Azure ML opt-in: ``import azureml`` fails with a message that says
  how to turn the layer on, instead of a bare ``No module named 'azureml'``.
- The exception the script dies of is recorded for the driver as the run's error
  (``<run>/error.json``, harness/run/job_error.py's format): the last stderr line is
  often not the exception (NumPy's ``np.float`` error ends with a URL).

A ``sitecustomize`` found later on ``sys.path`` (a user's or the distribution's)
is still run.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys

STANDIN_MARKER = ".harness-standin"


def _patch_cifar(module) -> None:  # noqa: ANN001
    import os

    original = module.check_integrity

    def check_integrity(fpath, md5=None):  # noqa: ANN001, ANN202
        if os.path.exists(os.path.join(os.path.dirname(str(fpath)), STANDIN_MARKER)):
            return os.path.isfile(fpath)
        return original(fpath, md5)

    module.check_integrity = check_integrity


class _PatchAfterLoad(importlib.abc.Loader):
    def __init__(self, loader, patch) -> None:  # noqa: ANN001
        self.loader, self.patch = loader, patch

    def create_module(self, spec):  # noqa: ANN001, ANN201
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:  # noqa: ANN001
        self.loader.exec_module(module)
        # The module keeps its own loader (resources, reloads), not this wrapper.
        if getattr(module, "__spec__", None) is not None:
            module.__spec__.loader = self.loader
        module.__loader__ = self.loader
        self.patch(module)


def _patch_numpy(module) -> None:  # noqa: ANN001
    try:
        from harness.compat.numpy2 import restore_removed_aliases
    except ImportError:
        return
    restore_removed_aliases(module)


def _v1_layer_on_path() -> bool:
    import os

    shim = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "azureml_shim")
    return any(p and os.path.abspath(p) == shim for p in sys.path)


def _patched_spec(finder, name, path, target, patch):  # noqa: ANN001, ANN202
    """The spec the other finders give ``name``, its loader wrapped to run ``patch``."""
    for other in sys.meta_path:
        if other is finder or not hasattr(other, "find_spec"):
            continue
        spec = other.find_spec(name, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = _PatchAfterLoad(spec.loader, patch)
            return spec
    return None


class _HarnessScriptFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):  # noqa: ANN001, ANN201
        if name == "torchvision.datasets.cifar":
            return _patched_spec(self, name, path, target, _patch_cifar)
        if name == "numpy" and _v1_layer_on_path():
            return _patched_spec(self, name, path, target, _patch_numpy)
        if name == "chainer":
            try:
                from harness.compat.numpy2 import restore_sctypes

                restore_sctypes()
            except ImportError:
                pass
            return None
        return None


sys.meta_path.insert(0, _HarnessScriptFinder())


def _install_azureml_hint() -> None:
    """The hint for a forgotten opt-in, last on sys.meta_path. Loaded from its file
    next door (harness/compat/azureml_hint.py), not as ``harness.compat``: that keeps
    the job's start-up light and works in an environment without the harness."""
    import os

    path = os.path.join(os.path.dirname(os.path.dirname(__file__)), "azureml_hint.py")
    spec = importlib.util.spec_from_file_location("_harness_azureml_hint_script", path)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.install()


_install_azureml_hint()


def _record_the_exception() -> None:
    """Wrap ``sys.excepthook``: an uncaught exception is written to the run folder
    (``error.json`` beside ``job.json``) before the usual traceback. Same format as
    harness/run/job_error.py, written here without importing the harness."""
    import os

    spec = os.environ.get("HARNESS_JOB_SPEC")
    if not spec:
        return
    previous = sys.excepthook

    def hook(kind, value, tb) -> None:  # noqa: ANN001
        try:
            if not issubclass(kind, KeyboardInterrupt):
                import json

                text = str(value).strip()
                first = text.splitlines()[0].strip() if text else ""
                line = f"{kind.__name__}: {first}"[:500] if first else kind.__name__
                path = os.path.join(os.path.dirname(spec), "error.json")
                flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
                fd = os.open(path, flags, 0o644)
                try:
                    record = {"type": kind.__name__, "message": first, "line": line}
                    os.write(fd, json.dumps(record).encode())
                finally:
                    os.close(fd)
        except Exception:  # never in the way of the traceback itself
            pass
        previous(kind, value, tb)

    sys.excepthook = hook


_record_the_exception()


def _keep_mlflow_artifacts_at_exit() -> None:
    """Registered now, so it runs after MLflow's own exit hook (last in, first out)."""
    import os

    outputs = os.environ.get("HARNESS_OUTPUTS_DIR")
    if not outputs or not _v1_layer_on_path():
        return

    def keep() -> None:
        if "mlflow" not in sys.modules:
            return
        try:
            from pathlib import Path

            from harness.compat.mlflow_runs import keep_mlflow_artifacts

            keep_mlflow_artifacts(Path(outputs))
        except Exception as exc:  # the job's result stands; say what was not kept
            print(f"harness: warning: MLflow's artifacts not kept: {exc}", file=sys.stderr)

    import atexit

    atexit.register(keep)


_keep_mlflow_artifacts_at_exit()


def _chain_next_sitecustomize() -> None:
    here = __file__
    module = sys.modules.pop("sitecustomize", None)
    saved = list(sys.path)
    try:
        sys.path[:] = [p for p in sys.path if not here.startswith(p.rstrip("/") + "/") or not p]
        spec = importlib.util.find_spec("sitecustomize")
        if spec is not None and spec.origin != here and spec.loader is not None:
            other = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(other)
    except Exception as exc:  # as site.py does: report, go on
        print(f"Error in sitecustomize; set PYTHONVERBOSE for traceback:\n{exc}", file=sys.stderr)
    finally:
        sys.path[:] = saved
        if module is not None:
            sys.modules["sitecustomize"] = module


_chain_next_sitecustomize()
