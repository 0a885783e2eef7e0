"""Metric curves of runs as a PNG: one panel per metric, one line per run.

matplotlib with the Agg backend (no display needed), imported only when a plot
is asked for. A failed or still-running run is drawn with what it has logged.
"""

from __future__ import annotations

import math
from pathlib import Path

from harness.errors import ConfigError
from harness.run import metrics
from harness.run.record import RunRecord
from harness.storage.workspace import atomic_write_bytes


def numeric_curves(record: RunRecord) -> dict[str, list[tuple[int, float]]]:
    """name → [(step, value)] of the run's numeric metrics, sorted by step."""
    assert record.path is not None
    curves: dict[str, list[tuple[int, float]]] = {}
    for event in metrics.read_events(record.path):
        value = event.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        curves.setdefault(event.name, []).append((event.step, float(value)))
    for points in curves.values():
        points.sort(key=lambda p: p[0])
    return curves


def draw_runs(
    records: list[RunRecord], wanted: list[str], output: Path, size: tuple[int, int]
) -> list[str]:
    """Draw ``wanted`` metrics (all numeric ones when empty) into ``output``; return them."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curves = {r.id: numeric_curves(r) for r in records}
    available = sorted({name for per_run in curves.values() for name in per_run})
    names = wanted or available
    unknown = [n for n in names if n not in available]
    if not names:
        raise ConfigError("these runs have logged no numeric metrics yet; nothing to plot")
    if unknown:
        raise ConfigError(
            f"no values of metric {', '.join(repr(n) for n in unknown)} in these runs. "
            f"Metrics: {', '.join(available)}"
        )
    cols = min(len(names), 3)
    rows = math.ceil(len(names) / cols)
    dpi = 100
    fig, axes = plt.subplots(
        rows, cols, figsize=(size[0] / dpi, size[1] / dpi), dpi=dpi, squeeze=False
    )
    for index, name in enumerate(names):
        ax = axes[index // cols][index % cols]
        for record in records:
            points = curves[record.id].get(name)
            if not points:
                continue
            steps = [p[0] for p in points]
            values = [p[1] for p in points]
            label = f"{record.id} ({record.status})"
            # A single point would be invisible as a line.
            ax.plot(
                steps, values, label=label, marker="o" if len(points) < 30 else None, markersize=3
            )
        ax.set_title(name)
        ax.set_xlabel("step")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")
    for index in range(len(names), rows * cols):
        axes[index // cols][index % cols].set_visible(False)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    atomic_write_bytes(output, buffer.getvalue())
    return names
