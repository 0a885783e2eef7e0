"""A typed option whose default has the wrong type (n_rounds: int = "ten")."""

from dataclasses import dataclass, field

from harness.contract import hookimpl
from harness_faulty.common import WorkingEstimator


@dataclass
class Options:
    name: str = "f-schema"
    n_rounds: int = "ten"  # type: ignore[assignment]


@dataclass
class Config:
    estimator: Options = field(default_factory=Options)


@hookimpl
def harness_register_estimators(register):
    register("f-schema", WorkingEstimator)


@hookimpl
def harness_config_schemas(register):
    register("estimator", "f-schema", Config)
