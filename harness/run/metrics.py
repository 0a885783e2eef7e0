"""Metric files: one append-only JSON-lines file per writing process.

One file per writer means no two processes ever append to the same file, so no
lock is needed on the hot path; readers merge the files.
"""

from __future__ import annotations

import functools
import json
import math
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from harness.errors import DamagedRecordError

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


def append_events(path: Path, events: list[MetricEvent]) -> tuple[int, int]:
    """Append whole lines in one write, so a reader never sees half an event.
    Returns the byte range they took in the file (one writer per file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = "".join(map(encode_event, events)).encode("utf-8")
    with open(path, "ab") as handle:
        start = os.fstat(handle.fileno()).st_size
        handle.write(payload)
    return start, start + len(payload)


class MetricBatch(list[MetricEvent]):
    """Events as flushed, and the byte range they took in their metrics file: a
    logger that falls behind may let go of them and read them back from the file
    (``harness.contract.background``), so a slow store costs no memory."""

    __slots__ = ("path", "start", "end")

    def __init__(self, events: list[MetricEvent], path: Path, start: int, end: int) -> None:
        super().__init__(events)
        self.path, self.start, self.end = path, start, end

    def spill(self) -> Callable[[], list[MetricEvent]]:
        """A reader of these events that does not hold them (so they can be freed)."""
        return functools.partial(read_range, self.path, self.start, self.end)


def _parse(line: bytes) -> MetricEvent | None:
    try:
        return parse_event(line)
    except DamagedRecordError:
        return None


def read_range(path: Path, start: int, end: int) -> list[MetricEvent]:
    """The events of one file between two byte offsets (``append_events``' range)."""
    with open(path, "rb") as handle:
        handle.seek(start)
        data = handle.read(end - start)
    parsed = (_parse(line) for line in data.splitlines())
    return [event for event in parsed if event is not None]


def read_appended(run_dir: Path, offsets: dict[str, int]) -> Iterator[bytes]:
    """What was appended to each of a run's metric files since ``offsets`` (file name
    → byte offset, updated here): whole lines only, one chunk a file; a torn last
    line (still being written) waits for the next call. For readers that follow a
    live run (the dashboard's curves and event streams)."""
    folder = run_dir / METRICS_DIR
    try:
        names = sorted(n for n in os.listdir(folder) if n.endswith(".jsonl"))
    except OSError:
        return
    for name in names:
        start = offsets.get(name, 0)
        try:
            with open(folder / name, "rb") as handle:
                handle.seek(start)
                chunk = handle.read()
        except OSError:
            continue
        end = chunk.rfind(b"\n") + 1
        offsets[name] = start + end
        if end:
            yield chunk[:end]


def parse_event(line: bytes) -> MetricEvent:
    """One metrics line, checked: a text ``name``, an integer ``step`` ≥ 0, a finite
    ``time``, any JSON ``value``. Anything else is a ``DamagedRecordError``."""
    try:
        raw = json.loads(line)  # UnicodeDecodeError is a ValueError
    except (ValueError, RecursionError) as exc:
        raise DamagedRecordError(f"not a JSON line ({str(exc)[:60]})") from None
    if not isinstance(raw, dict) or not raw.keys() >= _EVENT_KEYS:
        raise DamagedRecordError("not a metric event (name, value, step, time)")
    name, value, step, when = raw["name"], raw["value"], raw["step"], raw["time"]
    if not isinstance(name, str):
        raise DamagedRecordError(f"its name is {name!r:.40}, not text")
    if step.__class__ is not int or step < 0:
        raise DamagedRecordError(f"its step is {step!r:.40}, not an integer ≥ 0")
    if when.__class__ not in (int, float) or not math.isfinite(when):
        raise DamagedRecordError(f"its time is {when!r:.40}, not a finite number")
    return MetricEvent(name, value, step, float(when))


_EVENT_KEYS = {"name", "value", "step", "time"}


def read_events(run_dir: Path, damaged: list[str] | None = None) -> Iterator[MetricEvent]:
    """Every complete, valid event of a run, in time order. A torn last line (still
    being written) is skipped; a damaged line is skipped and, with ``damaged``,
    named there (``metrics/FILE line N: problem``): one bad line costs that line."""
    folder = run_dir / METRICS_DIR
    if not folder.is_dir():
        return iter(())
    events: list[MetricEvent] = []
    for file in sorted(folder.glob("*.jsonl")):
        try:
            handle = open(file, "rb")  # noqa: SIM115  # bytes: a bad line must not stop the rest
        except OSError:
            continue
        with handle:
            for number, line in enumerate(handle, start=1):
                if not line.endswith(b"\n"):
                    break  # still being written
                try:
                    events.append(parse_event(line))
                except DamagedRecordError as exc:
                    if damaged is not None:
                        damaged.append(f"{METRICS_DIR}/{file.name} line {number}: {exc}")
    events.sort(key=lambda e: e.time)
    return iter(events)


def damaged_summary(run_dir: Path, damaged: list[str]) -> str | None:
    """One line for the damaged metric lines ``read_events`` skipped, or None."""
    if not damaged:
        return None
    more = f" (and {len(damaged) - 1} more)" if len(damaged) > 1 else ""
    return f"skipped damaged metrics of run {run_dir.name}: {damaged[0]}{more}"


def history(run_dir: Path, damaged: list[str] | None = None) -> dict[str, list[dict[str, Any]]]:
    result: dict[str, list[dict[str, Any]]] = {}
    for event in read_events(run_dir, damaged):
        result.setdefault(event.name, []).append(
            {"step": event.step, "value": event.value, "time": event.time}
        )
    return result


def last_values(run_dir: Path) -> dict[str, Any]:
    return {event.name: event.value for event in read_events(run_dir)}
