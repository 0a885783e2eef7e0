"""What ``harness train`` prints when a job ends."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harness.run.record import COMPLETED

if TYPE_CHECKING:  # the driver pulls in OmegaConf and the plugins: not for `runs list`
    from harness.driver import Outcome


def format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def print_outcome(outcome: Outcome) -> None:
    record = outcome.record
    scalars = {k: v for k, v in record.metrics.items() if isinstance(v, (int, float))}
    print(f"status: {record.status}" + ("" if record.status == COMPLETED else f" ({record.error})"))
    if scalars:
        print("metrics: " + "  ".join(f"{k}={format_value(v)}" for k, v in sorted(scalars.items())))
    if record.system:
        print(
            "system: "
            + "  ".join(f"{k}={format_value(v)}" for k, v in sorted(record.system.items()))
        )
    print(f"run folder: {record.path}")
    print(f"details: harness runs show {record.id}", flush=True)
