"""End of a multirun: print and save the summary, close the sweep record."""

from __future__ import annotations

from harness.run.store import now_iso
from harness.sweeps import summary as sweep_summary
from harness.sweeps.store import COMPLETED, FAILED, SweepRecord, SweepStore


def finish_sweep(sweep: SweepRecord, code: int) -> int:
    """The exit code of ``harness train -m``: Hydra's own if it failed, else 1 when
    any job failed, else 0. Early-terminated runs are not failures."""
    store = SweepStore()
    result = sweep_summary.build(store, sweep)
    failed = result["counts"]["failed"]
    if code == 0 and failed:
        code = 1
    sweep.status = FAILED if code else COMPLETED
    sweep.ended = now_iso()
    if result["metric"] and not sweep.metric:
        sweep.metric, sweep.goal = result["metric"], result["goal"]
    store.save(sweep)
    result.update(status=sweep.status, ended=sweep.ended, exit_code=code)
    store.save_summary(sweep.id, result)
    print()
    sweep_summary.print_summary(result)
    return code
