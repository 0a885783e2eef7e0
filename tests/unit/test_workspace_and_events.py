"""Workspace objects carry their own home; the events channel reads whole lines."""

from __future__ import annotations

from pathlib import Path

from harness.job import events
from harness.sdk.workspace import Workspace


def test_a_workspace_keeps_its_home_when_another_is_made(tmp_path, monkeypatch):
    monkeypatch.delenv("HARNESS_HOME", raising=False)
    a = Workspace(home=tmp_path / "a")
    Workspace(home=tmp_path / "b")  # (makes b the process's workspace, as documented)
    assert a.home == (tmp_path / "a").resolve()
    default = a.get_default_datastore()
    assert Path(default.url) == (tmp_path / "a" / "datastores" / "default").resolve()
    assert {n: Path(s.url).parent.parent for n, s in a.datastores.items()} == {
        "default": (tmp_path / "a").resolve()
    }


def test_events_are_read_a_whole_line_at_a_time(tmp_path, monkeypatch):
    channel = tmp_path / "events.jsonl"
    monkeypatch.setenv("HARNESS_EVENTS", str(channel))
    events.emit("run_created", run_id="r1", sweep_id=None)
    with open(channel, "ab") as handle:
        handle.write(b'{"event": "finis')  # a line still being written
    told, offset = events.read(channel)
    assert [(e.event, e.run_id, e.sweep_id) for e in told] == [("run_created", "r1", None)]
    with open(channel, "ab") as handle:
        handle.write(b'hed", "run_id": "r1", "status": "Completed", "exit_code": 0}\n')
    more, _ = events.read(channel, offset)
    assert [(e.event, e.status, e.exit_code) for e in more] == [("finished", "Completed", 0)]


def test_no_channel_no_events(tmp_path, monkeypatch):
    monkeypatch.delenv("HARNESS_EVENTS", raising=False)
    events.emit("refused", message="x", exit_code=2)  # nowhere to write: nothing happens
    assert events.read(tmp_path / "missing.jsonl") == ([], 0)


def test_a_job_that_accepts_its_config_and_ends_within_one_poll_is_told_accepted(
    tmp_path, monkeypatch
):
    # The driver polls for the job's acceptance while the job runs; a job that
    # accepted and ended before the next poll must still be told, before finished.
    from types import SimpleNamespace

    from harness.contract.jobspec import ACCEPTED_FILE, JobSpec
    from harness.job import driver

    channel = tmp_path / "events.jsonl"
    monkeypatch.setenv("HARNESS_EVENTS", str(channel))
    monkeypatch.setattr(driver, "ACCEPT_POLL_S", 3600.0)  # no poll comes during the job
    lifecycle = driver.RunLifecycle.__new__(driver.RunLifecycle)
    lifecycle.spec = JobSpec("r1", str(tmp_path), "e", "probe", "local", {})
    lifecycle.record = SimpleNamespace(id="r1")
    with lifecycle._telling_acceptance():
        (tmp_path / ACCEPTED_FILE).write_text("accepted\n")  # what the worker writes
    told, _ = events.read(channel)
    assert [(e.event, e.run_id) for e in told] == [("run_accepted", "r1")]
