"""Compare two suite results (before, after) cell by cell and flag regressions.

A regression is a relative change beyond the threshold in the bad direction
(accuracy or throughput down; time, memory up), a target the "before" reached and
the "after" did not, or a cell that completed before and did not complete (or is
missing) after. Cells only in "after" are reported as new, never as regressions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import ConfigError, NotFoundError

#: metric → (label, True when higher is better)
METRICS: dict[str, tuple[str, bool]] = {
    "final_accuracy": ("final accuracy", True),
    "time_to_target_s": ("time to target (s)", False),
    "throughput_samples_per_s": ("throughput (samples/s)", True),
    "peak_rss_mb": ("peak RSS (MB)", False),
    "gpu_peak_mb": ("GPU peak (MB)", False),
    "wall_s": ("wall (s)", False),
}


@dataclass
class Row:
    cell: str
    metric: str
    before: Any
    after: Any
    change: float | None
    regression: bool
    note: str = ""


def load(path: str) -> dict[str, Any]:
    file = Path(path).expanduser()
    if not file.is_file():
        raise NotFoundError(f"no result file {file} (a bench run writes results.json)")
    try:
        doc = json.loads(file.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ConfigError(f"{file}: not JSON ({exc})") from None
    if not isinstance(doc, dict) or not str(doc.get("format", "")).startswith("harness-bench/"):
        raise ConfigError(f"{file}: not a `harness bench run` result (no format harness-bench/N)")
    return doc


def compare(before: dict[str, Any], after: dict[str, Any], threshold: float) -> list[Row]:
    rows: list[Row] = []
    after_cells = {c["key"]: c for c in after["cells"]}
    before_keys = set()
    for old in before["cells"]:
        key = old["key"]
        before_keys.add(key)
        new = after_cells.get(key)
        if new is None:
            rows.append(Row(key, "status", old["status"], "missing", None, _completed(old)))
            continue
        if old["status"] != new["status"]:
            bad = _completed(old) and not _completed(new)
            rows.append(Row(key, "status", old["status"], new["status"], None, bad))
        for metric, (_, higher_is_better) in METRICS.items():
            rows.extend(_metric_row(key, metric, old, new, higher_is_better, threshold))
    for key, new in after_cells.items():
        if key not in before_keys:
            rows.append(Row(key, "status", "missing", new["status"], None, False, "new cell"))
    return rows


def _metric_row(
    key: str, metric: str, old: dict[str, Any], new: dict[str, Any], higher: bool, threshold: float
) -> list[Row]:
    a, b = old.get(metric), new.get(metric)
    if a is None and b is None:
        return []
    if metric == "time_to_target_s" and a is not None and b is None and _completed(new):
        return [Row(key, metric, a, None, None, True, "target no longer reached")]
    if a is None or b is None:
        return [Row(key, metric, a, b, None, False)]
    change = (b - a) / abs(a) if a else (0.0 if b == a else float("inf"))
    worse = -change if higher else change
    return [Row(key, metric, a, b, change, worse > threshold)]


def _completed(cell: dict[str, Any]) -> bool:
    return cell.get("status") == "Completed"


def table(rows: list[Row]) -> list[list[str]]:
    def fmt(value: Any) -> str:
        if value is None:
            return "-"
        if isinstance(value, float):
            return f"{value:,.4g}"
        return str(value)

    out = []
    for row in rows:
        change = "-" if row.change is None else f"{row.change:+.1%}"
        verdict = "REGRESSION" if row.regression else "ok"
        label = METRICS.get(row.metric, (row.metric, True))[0]
        out.append([row.cell, label, fmt(row.before), fmt(row.after), change, verdict, row.note])
    return out


def to_json(rows: list[Row]) -> list[dict[str, Any]]:
    return [row.__dict__.copy() for row in rows]
