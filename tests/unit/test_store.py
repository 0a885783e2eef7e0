"""The run store: records, lifecycle, corrupt records, and concurrent writers."""

from __future__ import annotations

import json
import multiprocessing

import pytest

from harness.errors import NotFoundError
from harness.run.record import COMPLETED, QUEUED, RUNNING
from harness.run.store import RunStore


def _new(store: RunStore, **extra):
    fields = dict(experiment="exp", estimator="sklearn", compute="local", params={"seed": 0})
    fields.update(extra)
    return store.create(**fields)


def test_create_get_and_lifecycle(home):
    store = RunStore()
    record = _new(store)
    assert record.status == QUEUED
    assert (record.path / "outputs").is_dir() and (record.path / "logs").is_dir()
    store.set_status(record.id, RUNNING)
    done = store.set_status(record.id, COMPLETED)
    assert done.ended is not None
    assert store.get(record.id).status == COMPLETED
    assert store.get(record.id[:-2]).id == record.id  # unique prefix


def test_illegal_transition_is_refused(home):
    store = RunStore()
    record = _new(store)
    store.set_status(record.id, RUNNING)
    store.set_status(record.id, COMPLETED)
    with pytest.raises(ValueError, match="cannot go from Completed to Running"):
        store.set_status(record.id, RUNNING)


def test_missing_run_is_a_clear_error(home):
    with pytest.raises(NotFoundError, match="no run 'nope'"):
        RunStore().get("nope")


def test_corrupt_record_is_skipped_and_reported(home):
    store = RunStore()
    good = _new(store)
    bad = _new(store)
    (bad.path / "run.json").write_text('{"id": "half-writ')
    records, problems = store.list()
    assert [r.id for r in records] == [good.id]
    assert len(problems) == 1 and bad.id in problems[0]


def _worker(home: str, count: int, queue) -> None:
    import os

    os.environ["HARNESS_HOME"] = home
    store = RunStore()
    ids = []
    for i in range(count):
        record = _new(store, experiment=f"p{os.getpid()}")
        store.set_status(record.id, RUNNING)
        store.set_tags(record.id, {"i": i})
        store.set_status(record.id, COMPLETED)
        ids.append(record.id)
    queue.put(ids)


def _tagger(home: str, run_id: str, key: str) -> None:
    import os

    os.environ["HARNESS_HOME"] = home
    store = RunStore()
    for i in range(25):
        store.set_tags(run_id, {f"{key}{i}": i})


def test_concurrent_processes_lose_no_run_and_no_update(home):
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    workers = [ctx.Process(target=_worker, args=(str(home), 15, queue)) for _ in range(4)]
    for w in workers:
        w.start()
    created = [run_id for _ in workers for run_id in queue.get(timeout=120)]
    for w in workers:
        w.join(timeout=120)
        assert w.exitcode == 0
    records, problems = RunStore().list()
    assert problems == []
    assert sorted(r.id for r in records) == sorted(created)
    assert len(set(created)) == 60
    assert all(r.status == COMPLETED and r.tags == {"i": r.tags["i"]} for r in records)

    # Read-modify-write of one record from several processes at once: no tag lost.
    target = created[0]
    taggers = [ctx.Process(target=_tagger, args=(str(home), target, k)) for k in "abc"]
    for t in taggers:
        t.start()
    for t in taggers:
        t.join(timeout=120)
    tags = RunStore().get(target).tags
    assert {f"{k}{i}" for k in "abc" for i in range(25)} <= set(tags)
    json.loads((RunStore().get(target).path / "run.json").read_text())
