"""Running a recorded run again: ``rerun_overrides`` gives ``harness train`` the
recorded overrides with the environment pinned to what the run recorded.
``harness runs rerun`` (foreground) and ``run.rerun()`` (submitted, detached) both
use it; see harness/commands/runs_rerun.py for why the environment is pinned."""

from __future__ import annotations

import re
from typing import Any

_ENV_OVERRIDE = re.compile(r"^[+~]*estimator\.environment(\.|=|$)")


def rerun_overrides(record: Any) -> list[str]:
    """The recorded overrides, with the environment pinned to the recorded one."""
    overrides = [o for o in record.overrides if not _ENV_OVERRIDE.match(o)]
    environment = (record.provenance or {}).get("environment")
    if environment:
        definition = {
            k: v
            for k, v in (environment.get("definition") or {}).items()
            if v not in (None, [], "")
        }
        definition["python"] = environment.get("python") or definition.get("python")
        overrides.append(f"++estimator.environment={hydra_literal(definition)}")
    overrides.append(f"++tags.rerun_of={record.id}")
    return overrides


def hydra_literal(value: Any) -> str:
    """A JSON-like value in Hydra's override grammar, every string quoted: the
    Python API's own converter (``harness.sdk.overrides.value``)."""
    from harness.sdk.overrides import value as as_override

    return as_override(value)
