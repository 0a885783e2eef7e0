"""Benchmark suites (``harness/bench/suites/*.yaml``), expanded into a matrix of cells.

A suite is a YAML file: built-in ones live in ``harness/bench/suites/`` (shipped in
the wheel); a user's own is named by path. It declares ``datasets``, ``estimators``
and ``settings``; every applicable estimator × dataset × setting is one cell, and
every cell becomes one ordinary ``harness train`` run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from harness.errors import ConfigError, HarnessError

IMAGE_FORMATS = ("mnist", "cifar10")


class UnknownSuiteError(HarnessError):
    """The suite is neither a built-in name nor an existing YAML file."""


@dataclass
class Cell:
    estimator: str
    dataset: str
    setting: str
    #: Overrides for ``harness train``, without the data ones (those depend on where
    #: the dataset files are, which is known only once they are prepared).
    overrides: list[str]

    @property
    def key(self) -> str:
        return f"{self.estimator}/{self.dataset}/{self.setting}"


@dataclass
class Suite:
    name: str
    source: str
    description: str
    experiment: str
    target_accuracy: float
    datasets: dict[str, dict[str, Any]]
    estimators: dict[str, dict[str, Any]]
    cells: list[Cell] = field(default_factory=list)


def builtin_folder() -> Path:
    # Not under harness/conf: that is the train config, and Hydra would list them
    # as a config group of `harness train`.
    return Path(str(resources.files("harness.bench"))) / "suites"


def available_suites() -> list[str]:
    return sorted(p.stem for p in builtin_folder().glob("*.yaml"))


def suite_path(name: str) -> Path:
    """A built-in suite name, or the path of a user's suite file."""
    builtin = builtin_folder() / f"{name}.yaml"
    if "/" not in name and not name.endswith((".yaml", ".yml")) and builtin.is_file():
        return builtin
    path = Path(name).expanduser()
    if path.is_file():
        return path.resolve()
    raise UnknownSuiteError(
        f"unknown suite '{name}': not a built-in suite ({', '.join(available_suites())}) "
        "and no such YAML file"
    )


def load_suite(name: str, overrides: list[str] | None = None) -> Suite:
    """Load a suite and apply ``key=value`` overrides (OmegaConf dotlist)."""
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    path = suite_path(name)
    try:
        conf = OmegaConf.load(path)
        if overrides:
            conf = OmegaConf.merge(conf, OmegaConf.from_dotlist(list(overrides)))
        data = OmegaConf.to_container(conf, resolve=True)
    except (OmegaConfBaseException, ValueError) as exc:
        raise ConfigError(f"suite {path}: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"suite {path}: expected a mapping at the top level")
    check_keys(data, path, bool(overrides))
    suite = Suite(
        name=path.stem,
        source=str(path),
        description=str(data.get("description") or ""),
        experiment=str(data.get("experiment") or f"bench-{path.stem}"),
        target_accuracy=_number(data, "target_accuracy", path),
        datasets=_mapping(data, "datasets", path),
        estimators=_mapping(data, "estimators", path),
    )
    for dataset in suite.datasets.values():
        fmt = dataset.get("format")
        if fmt not in ("digits", *IMAGE_FORMATS):
            raise ConfigError(
                f"suite {path}: dataset format '{fmt}' is not one of digits, mnist, cifar10"
            )
    settings = data.get("settings") or {"default": {"overrides": []}}
    suite.cells = expand(suite, settings, path)
    if not suite.cells:
        raise ConfigError(f"suite {path}: the matrix is empty (no estimator fits any dataset)")
    return suite


#: The keys a suite (file or `key=value` override) may set, at each level.
SUITE_KEYS = frozenset(
    {"description", "experiment", "target_accuracy", "datasets", "estimators", "settings"}
)
ENTRY_KEYS = {
    "datasets": frozenset({"format", "path", "synthetic"}),
    "estimators": frozenset({"name", "overrides", "flatten_images"}),
    "settings": frozenset({"overrides", "estimators", "datasets"}),
}


def check_keys(data: dict[Any, Any], path: Path, overridden: bool) -> None:
    """Every key is one the suite reads: `bench run ci nosuchkey=1` (or a typo in a
    suite file) is one line naming it, not a key silently ignored."""
    where = f"suite {path}" + (" with its overrides" if overridden else "")
    unknown = sorted(str(k) for k in data if k not in SUITE_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key '{unknown[0]}'; a suite has {', '.join(sorted(SUITE_KEYS))}"
        )
    for section, allowed in ENTRY_KEYS.items():
        entries = data.get(section)
        if not isinstance(entries, dict):
            continue
        for name, entry in entries.items():
            if not isinstance(entry, dict):
                continue
            bad = sorted(str(k) for k in entry if k not in allowed)
            if bad:
                raise ConfigError(
                    f"{where}: unknown key '{section}.{name}.{bad[0]}'; an entry of "
                    f"{section} has {', '.join(sorted(allowed))}"
                )


def expand(suite: Suite, settings: dict[str, Any], path: Path) -> list[Cell]:
    cells = []
    for setting, spec in settings.items():
        spec = spec or {}
        only_estimators = spec.get("estimators")
        only_datasets = spec.get("datasets")
        for estimator, est_spec in suite.estimators.items():
            if only_estimators and estimator not in only_estimators:
                continue
            for dataset, data_spec in suite.datasets.items():
                if only_datasets and dataset not in only_datasets:
                    continue
                if not fits(estimator, est_spec, data_spec["format"]):
                    continue
                extra = spec.get("overrides") or []
                if isinstance(extra, dict):  # per-estimator overrides
                    extra = extra.get(estimator) or []
                overrides = [*_strings(est_spec.get("overrides"), path), *_strings(extra, path)]
                cells.append(Cell(estimator, dataset, str(setting), overrides))
    return cells


def fits(estimator: str, spec: dict[str, Any], fmt: str) -> bool:
    """scikit-learn reads no image format: it gets a flattened npz, or is skipped."""
    if component_name(estimator, spec) == "sklearn" and fmt in IMAGE_FORMATS:
        return bool(spec.get("flatten_images", False))
    return True


def component_name(estimator: str, spec: dict[str, Any]) -> str:
    """The estimator component a suite entry uses: ``name:``, else the entry's key."""
    return str(spec.get("name") or estimator)


def _mapping(data: dict[Any, Any], key: str, path: Path) -> dict[str, dict[str, Any]]:
    value = data.get(key)
    if not isinstance(value, dict) or not value:
        raise ConfigError(f"suite {path}: '{key}' must be a non-empty mapping")
    return {str(k): dict(v or {}) for k, v in value.items()}


def _number(data: dict[Any, Any], key: str, path: Path) -> float:
    try:
        return float(data[key])
    except (KeyError, TypeError, ValueError):
        raise ConfigError(f"suite {path}: '{key}' must be a number") from None


def _strings(value: Any, path: Path) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConfigError(f"suite {path}: overrides must be a list of key=value strings")
    return [str(v) for v in value]
