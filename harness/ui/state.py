"""What one dashboard server holds: the stores of one workspace and the run index."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from harness.run.store import RunStore
from harness.storage.model_registry import ModelRegistry
from harness.sweeps.store import SweepStore
from harness.ui.columns import MetricStats
from harness.ui.runcolumns import FilterColumns
from harness.ui.runindex import RunIndex
from harness.ui.series import CurveCache


@dataclass
class State:
    home: Path
    runs: RunStore = field(init=False)
    sweeps: SweepStore = field(init=False)
    models: ModelRegistry = field(init=False)
    index: RunIndex = field(init=False)
    filter_columns: FilterColumns = field(init=False)
    metric_stats: MetricStats = field(init=False)
    curves: CurveCache = field(init=False)

    def __post_init__(self) -> None:
        self.runs = RunStore(self.home)
        self.sweeps = SweepStore(self.home)
        self.models = ModelRegistry(self.home)
        self.index = RunIndex(self.runs)
        self.filter_columns = FilterColumns(self.index)
        self.metric_stats = MetricStats()
        self.curves = CurveCache()
