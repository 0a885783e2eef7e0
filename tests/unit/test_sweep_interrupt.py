"""Settling a sweep after Ctrl-C (harness/sweeps/interrupt.py), on real stores."""

from __future__ import annotations

from harness.run.store import RunStore
from harness.sweeps import interrupt
from harness.sweeps.store import SweepStore

JOBS = [["+estimator.script_params.x=0"], ["+estimator.script_params.x=1"]]


def test_a_run_caught_before_its_link_is_linked_not_recorded_as_not_started(tmp_path, monkeypatch):
    """Ctrl-C between a job's run record and its link to the sweep (the basic
    launcher's window): the run is the sweep's and its job is not 'not started'."""
    monkeypatch.setenv("HARNESS_HOME", str(tmp_path))
    sweeps, runs = SweepStore(), RunStore()
    sweep = sweeps.create(experiment="e", metric="score", goal="maximize")
    caught = runs.create(
        experiment="e", estimator="script", compute="local", sweep_id=sweep.id,
        overrides=JOBS[0],
    )  # fmt: skip
    runs.set_status(caught.id, "Canceled", error="interrupted")  # as its driver records it
    other = runs.create(experiment="e", estimator="script", compute="local")  # not the sweep's

    interrupt.settle(sweep.id, JOBS, 0)

    links = sweeps.links(sweep.id)
    assert [(link["run_id"], link["job"]) for link in links] == [(caught.id, 0)]
    assert links[0]["metric"] == "score" and links[0]["goal"] == "maximize"
    assert other.id not in {link["run_id"] for link in links}
    assert [u["job"] for u in sweeps.unstarted(sweep.id)] == [1]  # only the job never run
