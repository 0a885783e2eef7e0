"""The listing index stays consistent with run.json; dead drivers are detected."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

from harness.run.index import INDEX_FILE, summaries
from harness.run.liveness import reconcile, stale_reason
from harness.run.processes import alive, start_ticks
from harness.run.record import COMPLETED, FAILED, RUNNING
from harness.run.store import RunStore, now_iso


def _new(store: RunStore, **extra):
    fields = dict(experiment="exp", estimator="sklearn", compute="local", params={"big": 1})
    fields.update(extra)
    return store.create(**fields)


def test_index_sees_every_change_addition_and_deletion(home):
    store = RunStore()
    first = _new(store)
    records, problems = summaries(store.root)
    assert [r.id for r in records] == [first.id] and problems == []
    assert (store.root / INDEX_FILE).is_file()
    assert records[0].params == {}  # summaries leave the large fields out

    store.set_tags(first.id, {"stage": "prod"})  # rewritten run.json → re-read
    second = _new(store)
    records, _ = summaries(store.root)
    by_id = {r.id: r for r in records}
    assert by_id[first.id].tags == {"stage": "prod"} and second.id in by_id

    store.set_status(second.id, RUNNING)
    store.set_status(second.id, COMPLETED)
    records, _ = summaries(store.root)
    assert {r.id: r.status for r in records}[second.id] == COMPLETED

    first.path.rename(first.path.with_name(".deleted-x"))
    records, _ = summaries(store.root)
    assert [r.id for r in records] == [second.id]


def test_corrupt_index_or_record_never_gives_a_wrong_listing(home):
    store = RunStore()
    good = _new(store)
    (store.root / INDEX_FILE).write_text("{not json")
    bad = _new(store)
    (bad.path / "run.json").write_text('{"id": "x", "status": "Runn')
    records, problems = summaries(store.root)
    assert [r.id for r in records] == [good.id]
    assert problems and bad.id in str(problems[0])


def test_a_process_is_alive_only_as_the_one_its_record_names():
    me = os.getpid()
    assert alive(me)
    # Known start ticks must match exactly; a wall-clock start must not be younger.
    assert alive(me, ticks=start_ticks(me))
    assert not alive(me, ticks=start_ticks(me) - 1)
    assert alive(me, started_before=time.time())
    assert not alive(me, started_before=time.time() - 3600)
    done = subprocess.Popen(["true"])
    done.wait()
    assert not alive(done.pid)
    assert not alive(0) and not alive(-1)


def test_a_zombie_is_not_alive():
    # Exited, not reaped yet (its parent, this process, has not waited): gone for
    # every record that names it, as it was for the submit's check only.
    child = subprocess.Popen(["true"])
    deadline = time.monotonic() + 10
    while Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    try:
        assert not alive(child.pid)
    finally:
        child.wait()


def test_reconcile_marks_a_dead_driver_failed_once(home):
    store = RunStore()
    done = subprocess.Popen(["true"])
    done.wait()
    record = _new(store)
    store.set_status(record.id, RUNNING, started=now_iso(), pid=done.pid, host=socket.gethostname())
    running = store.get(record.id)
    assert "pid" in (stale_reason(running) or "")
    failed = reconcile(store, running)
    assert failed.status == FAILED and f"pid {done.pid}" in failed.error
    assert store.get(record.id).status == FAILED
    # Another host's pid says nothing about this one.
    other = _new(store)
    store.set_status(other.id, RUNNING, started=now_iso(), pid=done.pid, host="elsewhere")
    assert stale_reason(store.get(other.id)) is None
