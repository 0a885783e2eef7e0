"""The sweep summary: one row per job, sorted by the primary metric, best marked.

Built from the sweep's run links and run records, so ``harness sweeps show`` on a
running sweep shows its live state; the final table is saved as summary.json. A
link, a job record or a run record that cannot be read is a row with status
``Damaged`` (counted under ``counts.damaged``), never a row silently missing.
"""

from __future__ import annotations

import statistics
from datetime import datetime
from typing import Any

from harness.errors import DamagedRecordError, NotFoundError
from harness.run.record import CANCELED, COMPLETED, FAILED
from harness.run.store import RunStore, now_iso
from harness.sweeps.formats import DAMAGED
from harness.sweeps.slots import NOT_STARTED
from harness.sweeps.store import CANCELED as SWEEP_CANCELED
from harness.sweeps.store import COMPLETED as SWEEP_COMPLETED
from harness.sweeps.store import FAILED as SWEEP_FAILED
from harness.sweeps.store import SweepRecord, SweepStore

EARLY = "early-terminated"
#: The exit code of a sweep stopped by Ctrl-C (as of a single run).
CANCELED_EXIT = 130


def _seconds(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def _damaged_row(line: str, run_id: str | None) -> dict[str, Any]:
    """A job whose link, job record or run record is damaged: ``line`` names the file."""
    return {
        "run_id": run_id,
        "overrides": [],
        "status": DAMAGED,
        "value": None,
        "error": line,
        "early_terminated": False,
        "created": None,
        "duration_s": None,
        "damaged": True,
    }


def _rows(store: SweepStore, sweep: SweepRecord) -> tuple[list[dict[str, Any]], str | None, str]:
    from harness.errors import warn_once
    from harness.ids import is_run_id

    runs = RunStore(store.root.parent)
    rows: list[dict[str, Any]] = []
    metric, goal = sweep.metric, sweep.goal
    links, damaged_links = store.read_links(sweep.id)
    unstarted, damaged_jobs = store.read_unstarted(sweep.id)
    for problem in [*damaged_links, *damaged_jobs]:
        warn_once(str(problem))
        rows.append(_damaged_row(problem.line, problem.name if is_run_id(problem.name) else None))
    for link in links:
        metric = metric or link.get("metric")
        goal = goal or link.get("goal")
        try:
            record = runs.get(link["run_id"])
        except NotFoundError:
            continue  # the run was deleted: it is no longer part of the sweep
        except (DamagedRecordError, OSError, ValueError) as exc:  # the line names the file
            warn_once(f"skipped {link['run_id']}: {exc}")
            rows.append(_damaged_row(str(exc), link["run_id"]))
            continue
        values = runs.current_metrics(record)
        value = values.get(link.get("metric") or metric or "")
        error = record.error if record.status != COMPLETED else None
        rows.append(
            {
                "run_id": record.id,
                "overrides": list(link.get("overrides") or record.overrides),
                "status": record.status,
                "value": _number(value),
                "error": error,
                "early_terminated": bool(
                    record.status == CANCELED and error and error.startswith(EARLY)
                ),
                "created": record.created,
                "duration_s": _seconds(record.started, record.ended),
            }
        )
    for job in unstarted:
        rows.append(
            {
                "run_id": None,
                "overrides": list(job.get("overrides") or []),
                "status": job.get("status", FAILED),
                "value": None,
                "error": job.get("error"),
                "early_terminated": False,
                "created": None,
                "duration_s": None,
            }
        )
    if sweep.resumed:
        rows = _without_superseded(rows)
    return rows, metric, goal or "maximize"


def _not_started(row: dict[str, Any]) -> bool:
    """A job the sweep stopped before it started: no run, or a run that waited for a
    slot (``harness.sweeps.slots``) and never started its job."""
    if row["status"] != CANCELED:
        return False
    return row["run_id"] is None or str(row["error"] or "").startswith(NOT_STARTED)


def _number(value: Any) -> float | None:
    """A metric's value for the table: a number (not a bool, which is an int too)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def _without_superseded(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A resumed sweep ran again what an earlier attempt left unfinished (canceled,
    not started, driver died); the summary shows the later attempt only."""
    from harness.sweeps.resume import is_finished

    later: dict[tuple[str, ...], str] = {}
    for row in rows:
        if row["run_id"] is not None and not row.get("damaged"):
            key = tuple(row["overrides"])
            later[key] = max(later.get(key, ""), row["created"] or "")
    kept = []
    for row in rows:
        if row.get("damaged"):
            kept.append(row)  # which job it was is unknown: never superseded
            continue
        key = tuple(row["overrides"])
        outcome: Any = _Outcome(row["status"], row["error"])  # what is_finished reads
        if row["status"] == COMPLETED or is_finished(outcome):
            kept.append(row)
        elif row["run_id"] is None and key in later:
            continue  # not started then, run since
        elif row["run_id"] is not None and later.get(key, "") > (row["created"] or ""):
            continue  # unfinished then, run again since
        else:
            kept.append(row)
    return kept


class _Outcome:
    """The two fields of a run record that decide whether it is finished."""

    def __init__(self, status: str, error: str | None) -> None:
        self.status, self.error = status, error


def build(store: SweepStore, sweep: SweepRecord) -> dict[str, Any]:
    rows, metric, goal = _rows(store, sweep)
    sign = -1.0 if goal == "maximize" else 1.0
    order = {COMPLETED: 0, CANCELED: 1, FAILED: 2}

    def key(row: dict[str, Any]) -> tuple[Any, ...]:
        value = row["value"]
        has_value = row["status"] == COMPLETED and value is not None
        return (order.get(row["status"], 3), not has_value, sign * value if has_value else 0.0)

    rows.sort(key=key)
    best = next((r for r in rows if r["status"] == COMPLETED and r["value"] is not None), None)
    for row in rows:
        row["best"] = row is best
    completed_durations = [
        r["duration_s"] for r in rows if r["status"] == COMPLETED and r["duration_s"] is not None
    ]
    typical = statistics.median(completed_durations) if completed_durations else None
    early = [r for r in rows if r["early_terminated"]]
    saved = sum(max(0.0, typical - (r["duration_s"] or 0.0)) for r in early) if typical else 0.0
    readable = [r for r in rows if not r.get("damaged")]  # their overrides are unknown
    common = (
        set.intersection(*(set(r["overrides"]) for r in readable)) if len(readable) > 1 else set()
    )
    return {
        "sweep_id": sweep.id,
        "status": sweep.status,
        "created": sweep.created,
        "ended": sweep.ended,
        "sweeper": sweep.sweeper,
        "launcher": sweep.launcher,
        "applied": sweep.applied,
        "metric": metric,
        "goal": goal,
        "counts": {
            "total": len(rows),
            "completed": sum(r["status"] == COMPLETED for r in rows),
            "failed": sum(r["status"] == FAILED for r in rows),
            "canceled": sum(r["status"] == CANCELED for r in rows),
            "early_terminated": len(early),
            "not_started": sum(_not_started(r) for r in rows),
            "damaged": sum(r["status"] == DAMAGED for r in rows),
        },
        # Estimate: each stopped run would have taken the median completed run's time.
        "early_terminated_saved_s": round(saved, 3),
        "best": best,
        "fixed_overrides": sorted(common),
        "runs": rows,
    }


def close_sweep(sweep: SweepRecord, code: int) -> tuple[int, dict[str, Any]]:
    """End of a multirun: save the summary and close the sweep record.

    Returns the exit code of ``harness train -m`` (Hydra's own if it failed, 130
    after Ctrl-C, else 1 when any job failed, else 0; early-terminated runs are not
    failures) and the summary, which the CLI prints. A sweep stopped by Ctrl-C is
    ``Canceled``, as its runs are."""
    store = SweepStore()
    result = build(store, sweep)
    failed = result["counts"]["failed"]
    if code == 0 and failed:
        code = 1
    sweep.status = (
        SWEEP_CANCELED if code == CANCELED_EXIT else SWEEP_FAILED if code else SWEEP_COMPLETED
    )
    sweep.ended = now_iso()
    if result["metric"] and not sweep.metric:
        sweep.metric, sweep.goal = result["metric"], result["goal"]
    result.update(status=sweep.status, ended=sweep.ended, exit_code=code)
    # The table first: a reader that sees the final status finds its summary.
    store.save_summary(sweep.id, result)
    store.save(sweep)
    return code, result
