"""Metric files: one append-only JSON-lines file per writing process.

One file per writer means no two processes ever append to the same file, so no
lock is needed on the hot path; readers merge the files.
"""

from __future__ import annotations

import functools
import json
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

METRICS_DIR = "metrics"


class MetricEvent(NamedTuple):
    name: str
    value: Any
    step: int
    time: float


def writer_path(run_dir: Path, rank: int) -> Path:
    return run_dir / METRICS_DIR / f"rank{rank}-{os.getpid()}.jsonl"


_json_name = functools.lru_cache(maxsize=4096)(json.dumps)


def encode_event(event: MetricEvent) -> str:
    """One JSON line. Finite numbers (nearly every event) skip the json module:
    its per-call overhead was most of ``run.log``'s cost (benchmarks/bench_core.py)."""
    name, value, step, when = event
    kind = type(value)
    if kind is int or (kind is float and math.isfinite(value)):
        encoded = repr(value)
    else:
        encoded = json.dumps(value)
    return f'{{"name": {_json_name(name)}, "value": {encoded}, "step": {step}, "time": {when!r}}}\n'


def append_events(path: Path, events: list[MetricEvent]) -> None:
    """Append whole lines in one write, so a reader never sees half an event."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = "".join(map(encode_event, events))
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(payload)


def read_events(run_dir: Path) -> Iterator[MetricEvent]:
    """Every complete event of a run, in time order; a torn last line is skipped."""
    folder = run_dir / METRICS_DIR
    if not folder.is_dir():
        return iter(())
    events: list[MetricEvent] = []
    for file in folder.glob("*.jsonl"):
        try:
            handle = open(file, "rb")  # noqa: SIM115  # bytes: a bad line must not stop the rest
        except OSError:
            continue
        with handle:
            for line in handle:
                if not line.endswith(b"\n"):
                    break  # still being written
                try:
                    raw = json.loads(line)  # UnicodeDecodeError is a ValueError
                    events.append(MetricEvent(raw["name"], raw["value"], raw["step"], raw["time"]))
                except (ValueError, KeyError, TypeError):
                    continue
    events.sort(key=lambda e: e.time)
    return iter(events)


def history(run_dir: Path) -> dict[str, list[dict[str, Any]]]:
    result: dict[str, list[dict[str, Any]]] = {}
    for event in read_events(run_dir):
        result.setdefault(event.name, []).append(
            {"step": event.step, "value": event.value, "time": event.time}
        )
    return result


def last_values(run_dir: Path) -> dict[str, Any]:
    return {event.name: event.value for event in read_events(run_dir)}
