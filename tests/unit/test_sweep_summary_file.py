"""summary.json is the table of the attempt that ended: never shown for a sweep that
runs again (`sweeps resume`), and on disk before the final status a reader acts on."""

from __future__ import annotations

import os

from harness.run.store import RunStore
from harness.sdk.sweep_listing import sweep_summary
from harness.sweeps import resume, summary
from harness.sweeps.store import SUMMARY_FILE, SweepStore


def _canceled_sweep(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_HOME", str(tmp_path))
    sweeps, runs = SweepStore(), RunStore()
    sweep = sweeps.create(experiment="e", metric="score", goal="maximize")
    run = runs.create(experiment="e", estimator="script", compute="local", sweep_id=sweep.id)
    runs.set_status(run.id, "Running", pid=os.getpid())
    runs.set_status(run.id, "Completed", metrics={"score": 1.0})
    sweeps.link_run(sweep.id, run.id, metric="score", goal="maximize", overrides=["x=0"], job=0)
    sweeps.record_unstarted(sweep.id, 1, overrides=["x=1"], status="Canceled", error="Ctrl-C")
    summary.close_sweep(sweep, summary.CANCELED_EXIT)
    return sweeps, sweep


def test_a_resumed_sweep_shows_its_live_table_not_the_last_attempts(tmp_path, monkeypatch):
    sweeps, sweep = _canceled_sweep(tmp_path, monkeypatch)
    assert sweep_summary(tmp_path, sweep.id)["status"] == "Canceled"
    resume.reopen(sweeps, sweep.id)  # what `harness sweeps resume` does first
    live = sweep_summary(tmp_path, sweep.id)
    assert live["status"] == "Running" and "exit_code" not in live
    assert live["counts"]["not_started"] == 0  # the canceled job gets its chance now
    assert not (sweeps.folder(sweep.id) / SUMMARY_FILE).exists()


def test_the_summary_is_saved_before_the_final_status(tmp_path, monkeypatch):
    sweeps, sweep = _canceled_sweep(tmp_path, monkeypatch)
    resume.reopen(sweeps, sweep.id)
    seen = []
    save = SweepStore.save

    def watching(store, record):  # a reader right after the final status is written
        save(store, record)
        if record.status != "Running":
            seen.append(sweep_summary(tmp_path, record.id).get("exit_code"))

    monkeypatch.setattr(SweepStore, "save", watching)
    summary.close_sweep(sweeps.get(sweep.id), 0)
    assert seen == [0]  # the saved table (a live one has no exit code)
