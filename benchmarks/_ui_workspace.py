"""The runs bench_ui.py measures, generated once and written to both sides: a
harness workspace and an MLflow tracking store hold the same runs (ids, experiment
names, params, metrics, tags, times), so both dashboards answer the same question.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

LEARNING_RATES = (0.001, 0.005, 0.01, 0.05, 0.1)
LONG_ID = "20991231-235959-ffffff"
LONG_EXPERIMENT = "long"
#: Points of the long run per chunk (each chunk has its own seeded generator, so
#: every writer draws the same values without holding a million of them).
CHUNK = 100_000


@dataclass(frozen=True)
class Spec:
    """One generated run: what both stores are given."""

    id: str
    experiment: str
    created_s: float  # epoch seconds
    lr: float
    C: float
    seed: int
    accuracy: float
    loss: float
    f1: float
    batch: str

    @property
    def created(self) -> str:
        return iso(self.created_s)


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")


#: 2026-01-01T00:00:00Z; run i is created i seconds later (the newest last).
EPOCH = 1767225600.0


def synthetic_runs(count: int) -> list[Spec]:
    rng = random.Random(0)
    specs = []
    for i in range(count):
        acc, loss, f1 = rng.random(), rng.random() * 2, rng.random()
        specs.append(
            Spec(
                id=f"20260101-{i // 60000:02d}{(i // 1000) % 60:02d}{(i // 10) % 100:02d}-{i:06x}",
                experiment=f"exp{i % 10}", created_s=EPOCH + i, lr=rng.choice(LEARNING_RATES),
                C=rng.random(), seed=i, accuracy=acc, loss=loss, f1=f1, batch=str(i % 3),
            )
        )  # fmt: skip
    return specs


def long_curve(points: int) -> Iterator[tuple[list[int], list[float], list[float]]]:
    """The long run's `loss` in chunks: (steps, values, times in epoch seconds)."""
    for start in range(0, points, CHUNK):
        rng = random.Random(start)
        steps = list(range(start, min(points, start + CHUNK)))
        yield steps, [1.0 / (s + 1) + rng.random() * 0.01 for s in steps], [1e9 + s * 0.01 for s in steps]  # fmt: skip


def expected_page(specs: list[Spec], limit: int) -> tuple[int, list[str]]:
    """The runs page's answer, computed here: `metrics.accuracy > 0.5 and params.lr
    < 0.01`, sorted by accuracy, highest first: (how many match, the first ids)."""
    matched = [s for s in specs if s.accuracy > 0.5 and s.lr < 0.01]
    matched.sort(key=lambda s: s.accuracy, reverse=True)
    return len(matched), [s.id for s in matched[:limit]]


def write_harness(home: Path, specs: list[Spec], long_points: int) -> float:
    """The store's on-disk format (`run.json` through ``RunRecord.to_json``, a
    metrics file per run), without its per-run locks; returns the seconds taken."""
    from harness.run.metrics import MetricEvent, append_events
    from harness.run.record import RunRecord

    root = home / "runs"
    root.mkdir(parents=True)
    started = time.perf_counter()
    for s in specs:
        folder = root / s.id
        (folder / "metrics").mkdir(parents=True)
        record = RunRecord(
            id=s.id, experiment=s.experiment, status="Completed", created=s.created,
            estimator="sklearn", compute="local",
            params={"lr": s.lr, "estimator": {"C": s.C}, "seed": s.seed},
            started=s.created, ended=iso(s.created_s + 5),
            metrics={"accuracy": s.accuracy, "loss": s.loss, "f1": s.f1}, tags={"batch": s.batch},
        )  # fmt: skip
        (folder / "run.json").write_text(json.dumps(record.to_json()))
        events = [
            MetricEvent(n, v, 0, s.created_s + 4)
            for n, v in (("accuracy", s.accuracy), ("loss", s.loss), ("f1", s.f1))
        ]
        append_events(folder / "metrics" / "rank0-1.jsonl", events)
    folder = root / LONG_ID
    (folder / "metrics").mkdir(parents=True)
    record = RunRecord(
        id=LONG_ID, experiment=LONG_EXPERIMENT, status="Completed",
        created="2099-12-31T23:59:59+00:00", estimator="pytorch", compute="local",
        metrics={"loss": 0.0},
    )  # fmt: skip
    (folder / "run.json").write_text(json.dumps(record.to_json()))
    for steps, values, times in long_curve(long_points):
        append_events(
            folder / "metrics" / "rank0-1.jsonl",
            [MetricEvent("loss", v, s, t) for s, v, t in zip(steps, values, times, strict=True)],
        )
    return time.perf_counter() - started
