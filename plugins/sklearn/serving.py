"""Serving a model the ``sklearn`` estimator saved (``outputs/model.joblib``).

``SklearnEstimator.load_model`` returns a ``SklearnPredictor``; the service calls
its ``predict`` with a numpy array or a pandas DataFrame per request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.errors import ConfigError

#: The file names the estimator writes, then what users register by hand.
MODEL_FILES = ("model.joblib", "model.pkl")
SUFFIXES = (".joblib", ".pkl", ".pickle")


def model_file(path: Path) -> Path:
    """The model file: ``path`` itself, or the one joblib/pickle file in a folder."""
    if path.is_file():
        return path
    for name in MODEL_FILES:
        if (path / name).is_file():
            return path / name
    found = sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file())
    if len(found) != 1:
        names = ", ".join(p.name for p in found) or "none"
        raise ConfigError(
            f"{path.name}: expected one .joblib/.pkl model file (found {names}); "
            "register the file itself, or serve it with an entry script"
        )
    return found[0]


class SklearnPredictor:
    def __init__(self, model: Any) -> None:
        if not hasattr(model, "predict"):
            raise ConfigError(f"the loaded {type(model).__name__} has no predict()")
        self.model = model
        # A model fit on a plain array refuses (warns about) column names: hand it
        # the values of a DataFrame; one fit on a DataFrame gets the DataFrame.
        self.wants_frame = hasattr(model, "feature_names_in_")

    def predict(self, data: Any) -> Any:
        if not self.wants_frame and hasattr(data, "to_numpy"):
            data = data.to_numpy()
        return self.model.predict(data)


def load(path: Path) -> SklearnPredictor:
    import joblib

    return SklearnPredictor(joblib.load(model_file(path)))
