"""A long metrics chunk is read by columns (pyarrow) and gives exactly the curves and
entries the line-by-line reader gives; a chunk it cannot take whole falls back."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from harness.run.metrics import MetricEvent, append_events
from harness.ui import series
from harness.ui.series import RunCurves, arrow_columns

NAMES = ["loss", 'odd "name"', "ünïcode/acc", "layer1.grad"]


def scalar_events(count: int) -> list[MetricEvent]:
    special = [math.nan, math.inf, -math.inf, 3, -0.0, 1e300, 12345678901234567890]
    events = []
    for i in range(count):
        value = special[i % len(special)] if i % 97 == 0 else 1.0 / (i + 1)
        events.append(MetricEvent(NAMES[i % len(NAMES)], value, i // len(NAMES), 1e9 + i * 0.01))
    return events


def read(run_dir: Path, by_columns: bool, monkeypatch: pytest.MonkeyPatch) -> RunCurves:
    monkeypatch.setattr(series, "ARROW_BYTES", 1 if by_columns else 1 << 62)
    curves = RunCurves(run_dir)
    curves.update()
    return curves


def assert_same(a: RunCurves, b: RunCurves) -> None:
    assert list(a.curves) == list(b.curves)
    for name in a.curves:
        for left, right in zip(a.curves[name].arrays(), b.curves[name].arrays(), strict=True):
            assert left.dtype == right.dtype == np.float64
            assert np.array_equal(left, right, equal_nan=True), name
    assert a.entries == b.entries


def test_a_long_chunk_of_scalars_is_read_by_columns_as_the_lines_read(tmp_path, monkeypatch):
    append_events(tmp_path / "metrics" / "rank0-1.jsonl", scalar_events(40_000))
    chunk = (tmp_path / "metrics" / "rank0-1.jsonl").read_bytes()
    assert len(chunk) > series.ARROW_BYTES  # the default threshold takes this file
    assert arrow_columns(chunk) is not None  # the column reader took it whole
    by_columns = read(tmp_path, True, monkeypatch)
    by_lines = read(tmp_path, False, monkeypatch)
    assert_same(by_columns, by_lines)
    assert len(by_columns.curves["loss"].arrays()[0]) == 10_000
    assert by_columns.curves['odd "name"'].arrays()[1][0] == 0.5


@pytest.mark.parametrize(
    ("odd_line", "by_columns"),
    [
        (b'{"name": "table", "value": {"a": 1}, "step": 0, "time": 1.0}\n', False),  # log_row
        (b'{"name": "loss", "value": null, "step": 7, "time": 1.0}\n', False),
        (b'{"name": "flag", "value": true, "step": 0, "time": 1.0}\n', False),
        (b'{"name": "loss", "value": 1e400, "step": 8, "time": 1.0}\n', False),  # inf to float()
        (b'{"name": "loss", "value": 2.0, "time": 1.0}\n', False),  # no step: skipped
        (b"not json at all\n", False),
        (b'{"value": 2.0, "name": "loss", "step": 9, "time": 1.0}\n', True),  # another order
        (b'{"name": "loss", "value": 2.0, "step": 9, "time": 1.0, "rank": 0}\n', True),
    ],
)
def test_a_chunk_with_another_kind_of_line_reads_as_the_lines_read(
    tmp_path, monkeypatch, odd_line, by_columns
):
    """Lines the column reader cannot take send the chunk to the line reader; those
    it can take (any key order, a field more) give what the line reader gives."""
    path = tmp_path / "metrics" / "rank0-1.jsonl"
    append_events(path, scalar_events(4_000))
    with open(path, "ab") as handle:
        handle.write(odd_line)
    append_events(path, scalar_events(100))
    assert (arrow_columns(path.read_bytes()) is not None) is by_columns
    assert_same(read(tmp_path, True, monkeypatch), read(tmp_path, False, monkeypatch))


def test_a_live_run_read_in_pieces_gives_the_whole_curve(tmp_path, monkeypatch):
    """A first long chunk by columns, then the few lines appended since by the
    regular expression: one curve, in order."""
    monkeypatch.setattr(series, "ARROW_BYTES", 10_000)
    path = tmp_path / "metrics" / "rank0-1.jsonl"
    events = [MetricEvent("loss", float(i), i, 1e9 + i) for i in range(1000)]
    append_events(path, events[:900])
    curves = RunCurves(tmp_path)
    curves.update()
    append_events(path, events[900:])
    curves.update()
    steps, values, _ = curves.curves["loss"].arrays()
    assert steps.tolist() == list(range(1000)) and values.tolist() == [
        float(i) for i in range(1000)
    ]
