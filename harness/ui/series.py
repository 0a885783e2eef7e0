"""A run's metric curves for charts: parsed once into arrays, extended by what was
appended since, and cut down on the server (MinMaxLTTB, ``tsdownsample``) so a run
with a million points draws a few thousand; a zoomed range comes at full
resolution when it holds few enough.

The metric files are JSON lines written by ``harness.run.metrics.encode_event``
(one fixed layout); a regular expression over a whole chunk reads that layout at C
speed, and any line it does not match (another writer's spacing) is read with
``json`` instead, so nothing is skipped. A long chunk of scalars only (a run's first
look at a million points) is read by pyarrow's JSON reader straight into columns,
five times faster; a chunk it cannot take whole (a `log_row`, a null, an odd line)
goes the first way, so both give the same curves.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from harness.run.metrics import read_appended

#: Points per curve unless the page asks for another number.
DEFAULT_POINTS = 2000
MAX_POINTS = 20_000
#: Chunks at least this long try pyarrow's reader first (a live run's last second
#: of lines is shorter, and cheaper through the regular expression).
ARROW_BYTES = 1 << 20
#: Runs whose parsed curves stay in memory, and the points they may hold together
#: (a compare of 50 small runs must not push out the one long run being looked at).
CACHED_RUNS = 64
CACHED_POINTS = 20_000_000

# The time is the last field: a line with more (another writer's) goes to ``json``.
_LINE = re.compile(
    rb'^\{"name": ("(?:[^"\\\n]|\\.)*"), "value": (.+?), "step": (-?\d+), "time": ([^,}\n]+)\}$',
    re.MULTILINE,
)


@dataclass
class Curve:
    """One scalar metric: chunks appended as they are read, joined on demand."""

    steps: list[np.ndarray] = field(default_factory=list)
    values: list[np.ndarray] = field(default_factory=list)
    times: list[np.ndarray] = field(default_factory=list)

    def add(
        self,
        steps: list[int] | np.ndarray,
        values: list[float] | np.ndarray,
        times: list[float] | np.ndarray,
    ) -> None:
        self.steps.append(np.asarray(steps, dtype=np.float64))
        self.values.append(np.asarray(values, dtype=np.float64))
        self.times.append(np.asarray(times, dtype=np.float64))
        if len(self.steps) > 1:
            self.steps = [np.concatenate(self.steps)]
            self.values = [np.concatenate(self.values)]
            self.times = [np.concatenate(self.times)]

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not self.steps:
            empty = np.zeros(0)
            return empty, empty, empty
        return self.steps[0], self.values[0], self.times[0]


class RunCurves:
    """Everything logged in one run: scalar curves as arrays, other entries
    (``log_row``, ``log_table``, ``log_image``) as their points."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.offsets: dict[str, int] = {}
        self.curves: dict[str, Curve] = {}
        self.entries: dict[str, list[dict[str, Any]]] = {}
        self.lock = threading.Lock()

    def update(self) -> None:
        """Read what was appended to each metric file since the last look."""
        for chunk in read_appended(self.run_dir, self.offsets):
            self._parse(chunk)

    def _parse(self, chunk: bytes) -> None:
        if len(chunk) >= ARROW_BYTES:
            columns = arrow_columns(chunk)
            if columns is not None:
                for name, arrays in columns.items():
                    self.curves.setdefault(name, Curve()).add(*arrays)
                return
        found: dict[str, tuple[list[int], list[float], list[float]]] = {}
        others: list[dict[str, Any]] = []
        matched = 0
        for raw_name, raw_value, raw_step, raw_time in _LINE.findall(chunk):
            matched += 1
            name = raw_name[1:-1].decode() if b"\\" not in raw_name else json.loads(raw_name)
            try:
                value = float(raw_value)
            except ValueError:
                others.append(
                    {"name": name, "value": json.loads(raw_value), "step": int(raw_step),
                     "time": float(raw_time)}
                )  # fmt: skip
                continue
            lists = found.get(name)
            if lists is None:
                lists = found[name] = ([], [], [])
            lists[0].append(int(raw_step))
            lists[1].append(value)
            lists[2].append(float(raw_time))
        if matched != chunk.count(b"\n"):  # another layout: read those lines with json
            found, others = {}, []
            for line in chunk.splitlines():
                try:
                    raw = json.loads(line)
                    name, value, step, when = raw["name"], raw["value"], raw["step"], raw["time"]
                except (ValueError, KeyError, TypeError):
                    continue
                if value.__class__ in (int, float) or value is None:
                    lists = found.setdefault(name, ([], [], []))
                    lists[0].append(step)
                    lists[1].append(float("nan") if value is None else value)
                    lists[2].append(when)
                else:
                    others.append({"name": name, "value": value, "step": step, "time": when})
        for name, (steps, values, times) in found.items():
            self.curves.setdefault(name, Curve()).add(steps, values, times)
        for point in others:
            self.entries.setdefault(point["name"], []).append(
                {k: point[k] for k in ("step", "value", "time")}
            )


_ARROW_SCHEMA: Any = None


def arrow_columns(chunk: bytes) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] | None:
    """Name → (steps, values, times) in file order, if every line of ``chunk`` is a
    scalar point (a text name, a numeric value, an integer step, a numeric time,
    none missing; other fields are ignored, as the line reader's ``json`` path
    does); None otherwise, or without pyarrow."""
    global _ARROW_SCHEMA
    try:
        import pyarrow as pa
        import pyarrow.json as pj
    except ImportError:
        return None
    if _ARROW_SCHEMA is None:
        _ARROW_SCHEMA = pa.schema(
            [("name", pa.string()), ("value", pa.float64()), ("step", pa.int64()),
             ("time", pa.float64())]
        )  # fmt: skip
    try:
        table = pj.read_json(
            pa.BufferReader(chunk),
            # one thread: the server's other requests need the other core
            read_options=pj.ReadOptions(use_threads=False, block_size=1 << 22),
            parse_options=pj.ParseOptions(
                explicit_schema=_ARROW_SCHEMA, unexpected_field_behavior="ignore"
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None  # a line of another kind: the general reader takes the chunk
    if table.num_rows != chunk.count(b"\n") or any(c.null_count for c in table.columns):
        return None  # a missing field or a null value (an entry, as the regex path has it)
    names = table.column("name").combine_chunks().dictionary_encode()
    codes = names.indices.to_numpy(zero_copy_only=False)
    steps, values, times = (
        table.column(c).to_numpy().astype(np.float64, copy=False) for c in ("step", "value", "time")
    )
    out = {}
    for code, name in enumerate(names.dictionary.to_pylist()):
        if len(names.dictionary) == 1:
            out[name] = (steps, values, times)
        else:
            mask = codes == code
            out[name] = (steps[mask], values[mask], times[mask])
    return out


class CurveCache:
    """The parsed curves of the last few runs the pages looked at."""

    def __init__(self) -> None:
        self._runs: OrderedDict[Path, RunCurves] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, run_dir: Path) -> RunCurves:
        with self._lock:
            curves = self._runs.pop(run_dir, None) or RunCurves(run_dir)
            self._runs[run_dir] = curves
            while len(self._runs) > 1 and (
                len(self._runs) > CACHED_RUNS or self._points() > CACHED_POINTS
            ):
                self._runs.popitem(last=False)
        with curves.lock:
            curves.update()
        return curves

    def _points(self) -> int:
        return sum(_size(c) for c in self._runs.values())


def _size(curves: RunCurves) -> int:
    return sum(len(c.arrays()[0]) for c in curves.curves.values())


def _finite(values: np.ndarray) -> np.ndarray:
    return values[np.isfinite(values)]


def view(
    curve: Curve,
    points: int = DEFAULT_POINTS,
    x: str = "step",
    low: float | None = None,
    high: float | None = None,
) -> dict[str, Any]:
    """The curve for a chart: ``step``, ``value`` and ``time`` lists ordered by ``x``
    (step or time), cut to ``[low, high]`` and downsampled to about ``points`` when
    longer; ``total`` and the exact ``last``/``min``/``max`` of the whole curve."""
    steps, values, times = curve.arrays()
    finite = _finite(values)
    summary = {
        "total": int(len(values)),
        "last": _plain(values[np.argmax(times)]) if len(values) else None,
        "min": _plain(finite.min()) if len(finite) else None,
        "max": _plain(finite.max()) if len(finite) else None,
    }
    axis = times if x == "time" else steps
    order = np.argsort(axis, kind="stable")
    steps, values, times, axis = steps[order], values[order], times[order], axis[order]
    if low is not None or high is not None:
        left = 0 if low is None else int(np.searchsorted(axis, low, side="left"))
        right = len(axis) if high is None else int(np.searchsorted(axis, high, side="right"))
        # one point beyond each edge, so the line runs to the chart's border
        left, right = max(0, left - 1), min(len(axis), right + 1)
        steps, values, times, axis = (
            steps[left:right],
            values[left:right],
            times[left:right],
            axis[left:right],
        )
    in_range = len(values)
    if in_range > points:
        index = _downsample(axis, values, points)
        steps, values, times = steps[index], values[index], times[index]
    return summary | {
        "in_range": in_range,
        "downsampled": in_range > points,
        "step": [_plain(v) for v in steps.tolist()],
        "value": [_plain(v) for v in values.tolist()],
        "time": times.tolist(),
    }


def _downsample(axis: np.ndarray, values: np.ndarray, points: int) -> np.ndarray:
    from tsdownsample import MinMaxLTTBDownsampler

    finite = np.isfinite(values)
    if not finite.all():  # LTTB needs numbers; gaps are dropped from the picture
        keep = np.flatnonzero(finite)
        return keep[_downsample(axis[keep], values[keep], points)] if len(keep) > points else keep
    return MinMaxLTTBDownsampler().downsample(axis, values, n_out=max(3, points))


def _plain(value: Any) -> Any:
    """Integral floats as ints (steps), NaN and infinities as None (JSON)."""
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        if value.is_integer() and abs(value) < 2**53:
            return int(value)
    return value
