"""What answers a request in each worker: the user's score.py or the estimator's model.

``ScriptScorer`` loads v1's entry script (``init()`` once per worker, then
``run(raw_data)`` per request, with the body as a string, as v1 passed it).
``EstimatorScorer`` asks the estimator that trained the model to load it
(``Estimator.load_model``) and calls ``predict``. Both answer the same two calls:
``score`` (``POST /score``) and ``invoke`` (``POST /invocations``, MLflow's shapes).
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any

from harness.serve import inputs
from harness.serve.store import SOURCE_DIR, ServiceRecord


class StartupError(Exception):
    """The service cannot start (score.py broken, model not loadable): one line."""


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


class ScriptScorer:
    def __init__(self, record: ServiceRecord) -> None:
        assert record.entry_script is not None
        source = record.folder() / SOURCE_DIR
        self.script = source / record.entry_script
        self.module = self._import(source)
        for name in ("init", "run"):
            if not callable(getattr(self.module, name, None)):
                raise StartupError(
                    f"{record.entry_script} has no {name}() function; a v1 entry script "
                    "defines init() (load the model) and run(raw_data) (answer a request)"
                )
        self.run = self.module.run
        self.schema: dict[str, Any] = getattr(self.run, "__inference_schema__", {}) or {}
        try:
            self.module.init()
        except Exception as exc:
            traceback.print_exc()
            raise StartupError(f"{record.entry_script}: init() failed: {one_line(exc)}") from None

    def _import(self, source: Path) -> Any:
        # v1 ran the script from its app folder, with that folder importable.
        os.chdir(source)
        sys.path.insert(0, str(self.script.parent))
        spec = importlib.util.spec_from_file_location(self.script.stem, self.script)
        if spec is None or spec.loader is None:
            raise StartupError(f"cannot load {self.script.name} as a Python module")
        module = importlib.util.module_from_spec(spec)
        sys.modules[self.script.stem] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            traceback.print_exc()
            raise StartupError(f"{self.script.name} failed to import: {one_line(exc)}") from None
        return module

    def score(self, body: bytes) -> Any:
        payload = inputs.parse_json(body)  # malformed JSON is a 400, not run()'s problem
        if self.schema.get("input"):
            if not isinstance(payload, dict):
                raise inputs.BadInput("expected a JSON object with the inputs by name")
            return self.run(**payload)
        return self.run(body.decode("utf-8"))

    def invoke(self, data: Any) -> Any:
        """MLflow's shapes, handed to ``run()`` as v1's ``{"data": rows}``."""
        return {"predictions": self.run(json.dumps({"data": inputs.as_rows(data)}))}


class EstimatorScorer:
    def __init__(self, record: ServiceRecord) -> None:
        from harness.contract.manager import get_plugin_manager

        assert record.estimator is not None
        model = record.models[0]
        from harness.contract.components import Estimator

        estimator = get_plugin_manager().get("estimator", record.estimator)
        assert issubclass(estimator, Estimator)  # the manager checks what it registers
        params = model.get("params") or {}
        try:
            self.predictor = estimator.load_model(record.folder() / model["path"], params)
        except Exception as exc:
            traceback.print_exc()
            raise StartupError(
                f"estimator '{record.estimator}' could not load {model['name']}:"
                f"{model['version']}: {one_line(exc)}"
            ) from None
        self.schema: dict[str, Any] = {}

    def score(self, body: bytes) -> Any:
        return self._predict(inputs.any_input(inputs.parse_json(body)))

    def invoke(self, data: Any) -> Any:
        return {"predictions": self._predict(data)}

    def _predict(self, data: Any) -> Any:
        result = self.predictor.predict(data)
        return result.tolist() if hasattr(result, "tolist") else result


def build(record: ServiceRecord) -> ScriptScorer | EstimatorScorer:
    return ScriptScorer(record) if record.entry_script else EstimatorScorer(record)
