"""The runs table's columns: ``metrics.NAME`` (the final value, or ``:min``/``:max``
over the run's history), ``params.KEY`` (the flattened config), ``tags.KEY`` and the
attributes (``created``, ``duration``, ``status``, …); their values for a page of
runs, and sorting every run by one of them on the server.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.run.metrics import METRICS_DIR
from harness.run.record import FINAL_STATUSES, RunRecord
from harness.sdk.search import ATTRIBUTES, FilterError, attribute

AGGREGATES = ("last", "min", "max")
#: More columns than this in one request is a mistake (or an attack on the server).
MAX_COLUMNS = 60


@dataclass(frozen=True)
class Column:
    kind: str  # metrics | params | tags | attributes
    key: str
    aggregate: str = "last"  # metrics only

    @property
    def spec(self) -> str:
        if self.kind == "attributes":
            return self.key
        suffix = f":{self.aggregate}" if self.aggregate != "last" else ""
        return f"{self.kind}.{self.key}{suffix}"


def parse_column(spec: str) -> Column:
    """``metrics.loss:min``, ``params.estimator.C``, ``tags.team``, ``duration``."""
    if spec in ATTRIBUTES:
        return Column("attributes", spec)
    kind, dot, key = spec.partition(".")
    if not dot or not key or kind not in ("metrics", "params", "tags", "attributes"):
        raise FilterError(
            f"column '{spec}': write metrics.NAME[:min|:max], params.KEY, tags.KEY or an "
            f"attribute ({', '.join(ATTRIBUTES)})"
        )
    if kind == "attributes":
        if key not in ATTRIBUTES:
            raise FilterError(f"column '{spec}': no attribute '{key}'")
        return Column(kind, key)
    aggregate = "last"
    if kind == "metrics":
        name, colon, agg = key.rpartition(":")
        if colon and agg in AGGREGATES:
            key, aggregate = name, agg
    return Column(kind, key, aggregate)


def parse_columns(text: str | None) -> list[Column]:
    specs = [s for s in (text or "").split(",") if s]
    if len(specs) > MAX_COLUMNS:
        raise FilterError(f"at most {MAX_COLUMNS} columns at once")
    return [parse_column(s) for s in specs]


class MetricStats:
    """Last, min, max and count per metric of a run, from its metric files; kept
    for a final run (its files no longer change), re-read for a live one when the
    files' sizes changed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[tuple[tuple[str, int], ...], dict[str, dict[str, Any]]]] = {}

    def of(self, record: RunRecord) -> dict[str, dict[str, Any]]:
        assert record.path is not None
        hit = self._cache.get(record.id)
        if hit is not None and record.status in FINAL_STATUSES:
            return hit[1]
        signature = _signature(record.path / METRICS_DIR)
        if hit is not None and hit[0] == signature:
            return hit[1]
        stats = _read_stats(record.path / METRICS_DIR)
        with self._lock:
            self._cache[record.id] = (signature, stats)
        return stats

    def forget(self, run_id: str) -> None:
        with self._lock:
            self._cache.pop(run_id, None)


def _signature(folder: Path) -> tuple[tuple[str, int], ...]:
    try:
        with os.scandir(folder) as entries:
            return tuple(sorted((e.name, e.stat().st_size) for e in entries))
    except OSError:
        return ()


def _read_stats(folder: Path) -> dict[str, dict[str, Any]]:
    stats: dict[str, dict[str, Any]] = {}
    last_time: dict[str, float] = {}
    try:
        files = [folder / n for n in os.listdir(folder) if n.endswith(".jsonl")]
    except OSError:
        return stats
    for file in files:
        try:
            handle = open(file, "rb")  # noqa: SIM115
        except OSError:
            continue
        with handle:
            for line in handle:
                if not line.endswith(b"\n"):
                    break
                try:
                    raw = json.loads(line)
                    name, value, when = raw["name"], raw["value"], float(raw["time"])
                except (ValueError, KeyError, TypeError):
                    continue
                if value.__class__ not in (int, float) or value != value:
                    continue
                entry = stats.get(name)
                if entry is None:
                    stats[name] = {"last": value, "min": value, "max": value, "count": 1}
                    last_time[name] = when
                    continue
                entry["count"] += 1
                entry["min"] = min(entry["min"], value)
                entry["max"] = max(entry["max"], value)
                if when >= last_time[name]:
                    entry["last"], last_time[name] = value, when
    return stats


Reader = Callable[[RunRecord], Any]


def reader(
    column: Column,
    params_of: Callable[[RunRecord], dict[str, Any]],
    metrics_of: Callable[[RunRecord], dict[str, Any]],
    stats: MetricStats,
) -> Reader:
    """How to read ``column`` of a run (missing: ``None``)."""
    key = column.key
    if column.kind == "metrics":
        if column.aggregate == "last":
            return lambda record: _number_or_none(metrics_of(record).get(key))
        agg = column.aggregate
        return lambda record: (stats.of(record).get(key) or {}).get(agg)
    if column.kind == "params":
        return lambda record: params_of(record).get(key)
    if column.kind == "tags":
        return lambda record: record.tags.get(key)
    return lambda record: attribute(record, key)


def _number_or_none(value: Any) -> Any:
    return value if value.__class__ in (int, float) and value == value else None


def sort_by(records: list[RunRecord], read: Reader, ascending: bool) -> list[RunRecord]:
    """Runs sorted by one column; runs without a value last either way. Numbers sort
    before text; equal values keep the newest-first order."""
    numbers: list[tuple[float, int, RunRecord]] = []
    texts: list[tuple[str, int, RunRecord]] = []
    missing: list[RunRecord] = []
    for position, record in enumerate(records):
        value = read(record)
        if value is None:
            missing.append(record)
        elif value.__class__ in (int, float) and value == value:
            numbers.append((value if ascending else -value, position, record))
        else:
            texts.append((str(value), position, record))
    numbers.sort(key=lambda item: (item[0], item[1]))
    texts.sort(key=lambda item: item[1])
    texts.sort(key=lambda item: item[0], reverse=not ascending)
    return [r for *_, r in numbers] + [r for *_, r in texts] + missing
